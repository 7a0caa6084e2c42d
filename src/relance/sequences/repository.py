"""Queries on sequences, and the list operation's page of their active contacts (the
enrolment rows themselves are written by ``relance.enrolments``)."""

import uuid
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Window:
    """Which rows a page reads: ``limit`` rows from ``offset``, counted from the start of
    the order or, when ``from_the_end``, from its end (the rows then come newest first)."""

    from_the_end: bool
    offset: int
    limit: int


def window(*, offset: int, limit: int, total: int) -> Window:
    """The page ``[offset, offset + limit)`` of ``total`` rows, read from the nearer end.

    An OFFSET walks every row it skips, so the last page of a million would walk a million;
    read from the end, it walks no more than the first page does.
    """
    end = min(offset + limit, total)
    count = max(0, end - offset)
    if total - end < offset:
        return Window(from_the_end=True, offset=total - end, limit=count)
    return Window(from_the_end=False, offset=offset, limit=count)


async def contacts_page(
    session: AsyncSession,
    *,
    sequence_id: uuid.UUID,
    status: str | None,
    tag_id: uuid.UUID | None,
    offset: int,
    limit: int,
    total: int,
) -> list[tuple[SequenceContact, Contact]]:
    """A page of the sequence's ``total`` matching active contacts, oldest enrolment first.

    The OFFSET runs over a partial index alone (an index-only scan), from the nearer end
    of it (``window``); only the rows of the page are then joined to their contacts.
    """
    rows_of = window(offset=offset, limit=limit, total=total)
    order = (SequenceContact.created_at, SequenceContact.id)
    page = (
        _active_enrolments(sequence_id, status, tag_id)
        .order_by(*(c.desc() for c in order) if rows_of.from_the_end else order)
        .offset(rows_of.offset)
        .limit(rows_of.limit)
        .subquery()
    )
    rows = await session.execute(
        select(SequenceContact, Contact)
        .join(page, page.c.id == SequenceContact.id)
        .join(Contact, Contact.id == SequenceContact.contact_id)
        .order_by(*order)
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
