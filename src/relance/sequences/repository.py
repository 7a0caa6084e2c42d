"""Queries on sequences, and the list operation's page of their active contacts (the
enrolment rows themselves are written by ``relance.enrolments``)."""

import uuid

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from relance.db.models import Contact, Sequence, SequenceContact, SequenceContactTag
from relance.enrolments.repository import is_live


async def page(session: AsyncSession, *, offset: int, limit: int) -> tuple[int, list[Sequence]]:
    """A page of the live sequences, oldest first, and how many there are."""
    live = is_live()
    total = await session.scalar(select(func.count()).select_from(Sequence).where(live))
    rows = await session.scalars(
        select(Sequence)
        .where(live)
        .order_by(Sequence.created_at, Sequence.id)
        .offset(offset)
        .limit(limit)
    )
    return total or 0, list(rows)


def _active_enrolments(
    sequence_id: uuid.UUID, status: str | None, tag_id: uuid.UUID | None
) -> Select:
    """``SELECT sequence_contacts.id`` of the sequence's active rows, filtered.

    A tag filter is a join from the tag's rows (index ``(tag_id, sequence_contact_id)``), so
    that a rare tag costs its own rows, not a walk through the whole sequence.
    """
    statement = select(SequenceContact.id).where(
        SequenceContact.sequence_id == sequence_id, SequenceContact.deleted_at.is_(None)
    )
    if status is not None:
        statement = statement.where(SequenceContact.status == status)
    if tag_id is not None:
        statement = statement.join(
            SequenceContactTag,
            (SequenceContactTag.sequence_contact_id == SequenceContact.id)
            & (SequenceContactTag.tag_id == tag_id),
        )
    return statement


async def contacts_page(
    session: AsyncSession,
    *,
    sequence_id: uuid.UUID,
    status: str | None,
    tag_id: uuid.UUID | None,
    offset: int,
    limit: int,
) -> list[tuple[SequenceContact, Contact]]:
    """A page of the sequence's active contacts, oldest enrolment first.

    The OFFSET runs over a partial index alone (an index-only scan); only the rows of the
    page are then joined to their contacts.
    """
    page = (
        _active_enrolments(sequence_id, status, tag_id)
        .order_by(SequenceContact.created_at, SequenceContact.id)
        .offset(offset)
        .limit(limit)
        .subquery()
    )
    rows = await session.execute(
        select(SequenceContact, Contact)
        .join(page, page.c.id == SequenceContact.id)
        .join(Contact, Contact.id == SequenceContact.contact_id)
        .order_by(SequenceContact.created_at, SequenceContact.id)
    )
    return [(row[0], row[1]) for row in rows]


async def count_filtered(
    session: AsyncSession, *, sequence_id: uuid.UUID, status: str | None, tag_id: uuid.UUID | None
) -> int:
    """Active contacts of the sequence matching a status and/or a tag."""
    total = await session.scalar(
        select(func.count()).select_from(_active_enrolments(sequence_id, status, tag_id).subquery())
    )
    return total or 0
