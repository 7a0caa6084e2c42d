"""The list operation: a page of a sequence's active contacts, with their numbers, tags and
calls in the sequence.

It shows what several features hold (contacts' numbers, tags, calls), so it sits above
them, here, while ``relance.enrolments`` sits below them.
"""

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from relance.calls import repository as calls_repository
from relance.contacts import repository as contacts_repository
from relance.db.models import Call, Contact, PhoneNumber, SequenceContact, Tag
from relance.enrolments import service as enrolments
from relance.sequences import repository
from relance.tags import repository as tags_repository


@dataclass(frozen=True)
class EnrolledContact:
    enrolment: SequenceContact
    contact: Contact
    phone_numbers: list[PhoneNumber]
    tags: list[Tag]
    calls: list[Call]


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
    their numbers, tags and calls in this sequence (newest first), one statement each."""
    sequence = await enrolments.live_sequence(session, sequence_id=sequence_id)
    tag_id = None
    if tag is not None:
        found = await tags_repository.find_by_label(
            session, workspace_id=sequence.workspace_id, label=tag
        )
        if found is None:
            return 0, []
        tag_id = found.id
    if status is None and tag_id is None:
        total = (await enrolments.assignees_of(session, sequences=[sequence]))[
            sequence.id
        ].contact_count
    else:
        total = await repository.count_filtered(
            session, sequence_id=sequence.id, status=status, tag_id=tag_id
        )
    rows = await repository.contacts_page(
        session,
        sequence_id=sequence.id,
        status=status,
        tag_id=tag_id,
        offset=offset,
        limit=limit,
        total=total,
    )
    contact_ids = [c.id for _, c in rows]
    numbers = await contacts_repository.phone_numbers_of(session, contact_ids)
    tags = await tags_repository.tags_of(session, [e.id for e, _ in rows])
    calls = await calls_repository.calls_of_page(
        session, sequence_id=sequence.id, contact_ids=contact_ids
    )
    return total, [
        EnrolledContact(e, c, numbers.get(c.id, []), tags.get(e.id, []), calls.get(c.id, []))
        for e, c in rows
    ]
