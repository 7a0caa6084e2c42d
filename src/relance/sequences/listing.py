"""The list operation: a page of a sequence's active contacts, with their numbers, tags and
calls in the sequence.

It shows what several features hold (contacts' numbers, tags, calls), so it sits above
them, here, while ``relance.enrolments`` sits below them. The page is read-only: it is
read as rows, never as ORM objects (``sequences.repository``).
"""

import functools
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from relance.calls import repository as calls_repository
from relance.calls.repository import PageCall
from relance.contacts import repository as contacts_repository
from relance.contacts.repository import PageNumber
from relance.db.dialect import dialect_name
from relance.db.types import utcnow
from relance.enrolments import states
from relance.enrolments.service import sequence_not_found
from relance.sequences import repository
from relance.tags import repository as tags_repository
from relance.tags.repository import PageTag


@dataclass(frozen=True)
class EnrolledContact:
    """One item of the page: its row (``contacts_page``), with its numbers, tags and calls
    read from the row's JSON when first asked, so that whoever shapes the page (off the
    event loop, for a large one) also does the reading."""

    enrolment: Row
    dialect: str
    policy: states.Policy
    now: datetime

    @functools.cached_property
    def phone_numbers(self) -> list[PageNumber]:
        return contacts_repository.read_numbers(self.dialect, self.enrolment.numbers)

    @functools.cached_property
    def tags(self) -> list[PageTag]:
        return tags_repository.read_tags(self.dialect, self.enrolment.tags)

    @functools.cached_property
    def calls(self) -> list[PageCall]:
        return calls_repository.read_calls(self.dialect, self.enrolment.calls)

    @property
    def state(self) -> str:
        """As of now: a pause whose time has come reads as active."""
        row = self.enrolment
        return states.effective_state(row.state, row.paused_until, self.now)

    @property
    def next_callable_at(self) -> datetime | None:
        row = self.enrolment
        return states.next_callable_at(
            self.policy,
            state=row.state,
            paused_until=row.paused_until,
            attempts=row.attempts,
            last_attempt_at=row.last_attempt_at,
            zone_keys=[n.time_zones for n in self.phone_numbers],  # kept, not parsed
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
    dialect, now = dialect_name(session), now or utcnow()
    return header.total, [EnrolledContact(row, dialect, policy, now) for row in rows]
