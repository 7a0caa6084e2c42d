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


@dataclass(frozen=True)
class EnrolledContact:
    """One item of the page: its row (``repository.contacts_page``), whose JSON the
    database wrote, and what depends on the moment of the request, worked out here."""

    enrolment: Row
    policy: states.Policy
    now: datetime

    @property
    def head(self) -> str:
        """The item's JSON object up to ``state`` (``repository.contacts_page``)."""
        return self.enrolment.head

    @property
    def tail(self) -> str:
        """The item's JSON object from after ``pausedUntil`` to before ``nextCallableAt``."""
        return self.enrolment.tail

    @property
    def state(self) -> str:
        """As of now: a pause whose time has come reads as active."""
        row = self.enrolment
        return states.effective_state(row.state, row.paused_until, self.now)

    @property
    def paused_until(self) -> datetime | None:
        """Until when it is paused, if it is."""
        return self.enrolment.paused_until if self.state == states.PAUSED else None

    @property
    def next_callable_at(self) -> datetime | None:
        row = self.enrolment
        return states.next_callable_at(
            self.policy,
            state=row.state,
            paused_until=row.paused_until,
            attempts=row.attempts,
            last_attempt_at=row.last_attempt_at,
            zone_keys=orjson.loads(row.zones),
            now=self.now,
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
    return header.total, [EnrolledContact(row, policy, now) for row in rows]
