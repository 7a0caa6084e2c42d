"""The list operation: a page of a sequence's active contacts, with their numbers, tags and
calls in the sequence.

It shows what several features hold (contacts' numbers, tags, calls), so it sits above
them, here, while ``relance.enrolments`` sits below them. The page is read-only: it is
read as rows, never as ORM objects (``sequences.repository``).
"""

import uuid
from dataclasses import dataclass

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from relance.calls import repository as calls_repository
from relance.calls.repository import PageCall
from relance.contacts import repository as contacts_repository
from relance.contacts.repository import PageNumber
from relance.db.dialect import dialect_name
from relance.enrolments.service import sequence_not_found
from relance.sequences import repository
from relance.tags import repository as tags_repository
from relance.tags.repository import PageTag


@dataclass(frozen=True, slots=True)
class EnrolledContact:
    """One item of the page: its row (``contacts_page``), with its numbers, tags and calls
    read from the row's JSON when asked, so that whoever shapes the page (off the event
    loop, for a large one) also does the reading."""

    enrolment: Row
    dialect: str

    @property
    def phone_numbers(self) -> list[PageNumber]:
        return contacts_repository.read_numbers(self.dialect, self.enrolment.numbers)

    @property
    def tags(self) -> list[PageTag]:
        return tags_repository.read_tags(self.dialect, self.enrolment.tags)

    @property
    def calls(self) -> list[PageCall]:
        return calls_repository.read_calls(self.dialect, self.enrolment.calls)


async def list_contacts(
    session: AsyncSession,
    *,
    sequence_id: uuid.UUID,
    offset: int,
    limit: int,
    status: str | None = None,
    tag: str | None = None,
) -> tuple[int, list[EnrolledContact]]:
    """How many active contacts match, and a page of them, oldest enrolment first, with
    their numbers, tags and calls in this sequence (newest first): the sequence with the
    total in one statement, the page with everything it shows in another."""
    header = await repository.list_header(
        session,
        sequence_id=sequence_id,
        status=status,
        tag_key=None if tag is None else tags_repository.label_key(tag),
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
    )
    dialect = dialect_name(session)
    return header.total, [EnrolledContact(row, dialect) for row in rows]
