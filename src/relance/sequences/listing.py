"""The list operation: a page of a sequence's active contacts, with their numbers, tags and
calls in the sequence.

It shows what several features hold (contacts' numbers, tags, calls), so it sits above
them, here, while ``relance.enrolments`` sits below them. The page is read-only: it is
read as rows, never as ORM objects (``sequences.repository``).
"""

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from relance.calling_windows import key_of_number
from relance.calls import repository as calls_repository
from relance.calls.repository import PageCall
from relance.contacts import repository as contacts_repository
from relance.contacts.repository import PageNumber
from relance.db.types import utcnow
from relance.enrolments import states
from relance.enrolments.service import sequence_not_found
from relance.sequences import repository
from relance.tags import repository as tags_repository
from relance.tags.repository import PageTag


@dataclass(frozen=True, slots=True)
class EnrolledContact:
    enrolment: Row  # the page's row: the enrolment and its contact (``contacts_page``)
    phone_numbers: list[PageNumber]
    tags: list[PageTag]
    calls: list[PageCall]
    state: str  # as of now (a pause whose time has come reads as active)
    next_callable_at: datetime | None


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
    now = now or utcnow()
    policy = states.Policy.of(
        header.calling_window, header.max_attempts, header.retry_after_minutes
    )
    items = []
    for row in rows:
        numbers = contacts_repository.read_numbers(row.numbers)
        keys = [row.time_zone or key_of_number(n.number) for n in numbers]
        items.append(
            EnrolledContact(
                row,
                numbers,
                tags_repository.read_tags(row.tags),
                calls_repository.read_calls(row.calls),
                states.effective_state(row.state, row.paused_until, now),
                states.next_callable_at(
                    policy,
                    state=row.state,
                    paused_until=row.paused_until,
                    attempts=row.attempts,
                    last_attempt_at=row.last_attempt_at,
                    zone_keys=keys,
                    now=now,
                ),
            )
        )
    return header.total, items
