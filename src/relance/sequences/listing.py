"""The list operation: a page of a sequence's active contacts, with their numbers, tags and
calls in the sequence.

It shows what several features hold (contacts' numbers, tags, calls), so it sits above
them, here, while ``relance.enrolments`` sits below them. The page is read-only: the
database writes its items' JSON (``sequences.repository``); only what depends on the
moment of the request is worked out here, in Python.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime

import orjson
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from relance.db.types import utcnow
from relance.enrolments import states
from relance.enrolments.service import sequence_not_found
from relance.sequences import repository
from relance.tags import repository as tags_repository


@dataclass(frozen=True, slots=True)
class EnrolledContact:
    """One item of the page: its JSON as the database wrote it (``repository.contacts_page``)
    in two parts, and what goes between and after them, worked out here as of now."""

    head: str  # the item's JSON object up to ``state``
    tail: str  # from after ``pausedUntil`` to before ``nextCallableAt``
    state: str  # as of now: a pause whose time has come reads as active
    paused_until: datetime | None  # until when it is paused, if it is
    next_callable_at: datetime | None

    @classmethod
    def of(cls, row: Row, policy: states.Policy, now: datetime) -> "EnrolledContact":
        state = states.effective_state(row.state, row.paused_until, now)
        return cls(
            head=row.head,
            tail=row.tail,
            state=state,
            paused_until=row.paused_until if state == states.PAUSED else None,
            next_callable_at=states.next_callable_at(
                policy,
                state=state,
                paused_until=row.paused_until,
                attempts=row.attempts,
                last_attempt_at=row.last_attempt_at,
                zone_keys=orjson.loads(row.zones),
                now=now,
            ),
        )


async def list_contacts(
    session: AsyncSession,
    *,
    sequence_id: uuid.UUID,
    offset: int,
    limit: int,
    status: str | None = None,
    tag: str | None = None,
    state: str | None = None,
    now: datetime | None = None,
) -> tuple[int, list[EnrolledContact]]:
    """How many active contacts match, and a page of them, oldest enrolment first, with
    their numbers, tags and calls in this sequence (newest first): the sequence with the
    total in one statement, the page with everything it shows in another."""
    header = await repository.list_header(
        session,
        sequence_id=sequence_id,
        status=status,
        tag_key=None if tag is None else tags_repository.label_key(tag),
        state=state,
        now=now,
    )
    if header is None:
        raise sequence_not_found()
    if tag is not None and header.tag_id is None:
        return 0, []
    rows = await repository.contacts_page(
        session,
        sequence_id=sequence_id,
        status=status,
        tag_id=header.tag_id,
        offset=offset,
        limit=limit,
        total=header.total,
        state=state,
        now=now,
    )
    policy = states.Policy.of(
        header.calling_window, header.max_attempts, header.retry_after_minutes
    )
    now = now or utcnow()
    return header.total, [EnrolledContact.of(row, policy, now) for row in rows]
