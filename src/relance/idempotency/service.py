"""``Idempotency-Key``: a POST sent again with the same key is answered as the first time,
without being done again (Stripe's semantics).

The answer is kept in the request's own transaction, so a change and the answer that
reports it commit together: a client whose connection died after the commit gets the
original answer when it retries, and a request that failed kept nothing and runs again.
Keys belong to the organization and live ``KEY_LIFETIME``.
"""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from relance.db.idempotency import IdempotentRequest
from relance.db.types import utcnow
from relance.errors import Conflict
from relance.idempotency import repository
from relance.tenancy.scope import scope_of

KEY_LIFETIME = timedelta(hours=24)


@dataclass(frozen=True)
class Answer:
    status_code: int
    media_type: str | None
    body: bytes


async def answer_for(session: AsyncSession, *, key: str, fingerprint: str) -> Answer | None:
    """The answer already given to ``key`` within its lifetime, or None (run the request);
    the key sent with another request (``fingerprint``) is a conflict."""
    row = await repository.find(session, key=key)
    if row is None:
        return None
    if row.created_at <= utcnow() - KEY_LIFETIME:
        await repository.forget(session, row)
        return None
    if row.fingerprint != fingerprint:
        raise Conflict(
            "This Idempotency-Key was already used with another request "
            "(method, path, query or body); use a new key for a new request"
        )
    return Answer(row.status_code, row.media_type, row.body)


async def remember(session: AsyncSession, *, key: str, fingerprint: str, answer: Answer) -> None:
    """Keep the answer to ``key``, in the request's transaction."""
    await repository.insert(
        session,
        IdempotentRequest(
            organization_id=scope_of(session).organization_id,
            key=key,
            fingerprint=fingerprint,
            status_code=answer.status_code,
            media_type=answer.media_type,
            body=answer.body,
            created_at=utcnow(),
        ),
    )


async def purge(session: AsyncSession) -> int:
    """Forget every organization's keys older than their lifetime; how many went."""
    return await repository.purge(session, before=utcnow() - KEY_LIFETIME)
