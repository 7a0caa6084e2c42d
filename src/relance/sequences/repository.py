"""Queries on sequences, their reps and their enrolled contacts."""

import uuid
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, case, func, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from relance.db.dialect import insert_ignoring_conflicts
from relance.db.models import (
    Contact,
    OrganizationMembership,
    Sequence,
    SequenceAssignee,
    SequenceContact,
    SequenceContactTag,
    WorkspaceMembership,
)


def _live_sequences():  # noqa: ANN202
    return select(Sequence).where(Sequence.deleted_at.is_(None))


async def get_live(session: AsyncSession, sequence_id: uuid.UUID) -> Sequence | None:
    return await session.scalar(_live_sequences().where(Sequence.id == sequence_id))


async def page(session: AsyncSession, *, offset: int, limit: int) -> tuple[int, list[Sequence]]:
    total = await session.scalar(
        select(func.count()).select_from(Sequence).where(Sequence.deleted_at.is_(None))
    )
    rows = await session.scalars(
        _live_sequences().order_by(Sequence.created_at, Sequence.id).offset(offset).limit(limit)
    )
    return total or 0, list(rows)


@dataclass(frozen=True)
class AssigneeRow:
    sequence_id: uuid.UUID
    workspace_membership_id: uuid.UUID
    position: int
    is_assignee: bool
    active_load: int
    member: OrganizationMembership


async def assignees_of(
    session: AsyncSession, sequence_ids: Collection[uuid.UUID]
) -> list[AssigneeRow]:
    """Every rep row of these sequences (current assignees and former ones), in list order."""
    if not sequence_ids:
        return []
    rows = await session.execute(
        select(SequenceAssignee, OrganizationMembership)
        .join(
            WorkspaceMembership,
            WorkspaceMembership.id == SequenceAssignee.workspace_membership_id,
        )
        .join(
            OrganizationMembership,
            OrganizationMembership.id == WorkspaceMembership.organization_membership_id,
        )
        .where(SequenceAssignee.sequence_id.in_(list(sequence_ids)))
        .order_by(SequenceAssignee.sequence_id, SequenceAssignee.position)
    )
    return [
        AssigneeRow(
            sequence_id=a.sequence_id,
            workspace_membership_id=a.workspace_membership_id,
            position=a.position,
            is_assignee=a.is_assignee,
            active_load=a.active_load,
            member=m,
        )
        for a, m in rows
    ]


async def lock_reps(session: AsyncSession, sequence_id: uuid.UUID) -> list[SequenceAssignee]:
    """The sequence's rep rows, locked until commit so that concurrent batches queue up.

    Part of the one lock order of ``sequences.enrolment``. On PostgreSQL this is
    ``SELECT ... FOR UPDATE``; SQLite write transactions already hold the database's
    write lock (see relance.db.dialect).
    """
    rows = await session.scalars(
        select(SequenceAssignee)
        .where(SequenceAssignee.sequence_id == sequence_id)
        .order_by(SequenceAssignee.id)
        .with_for_update()
    )
    return list(rows)


async def lock_reps_of_contact(session: AsyncSession, contact_id: uuid.UUID) -> None:
    """Lock the rep rows of every sequence the contact has a row in (active or removed),
    by sequence id then row id, the order ``lock_reps`` takes one sequence's in."""
    await session.execute(
        select(SequenceAssignee.id)
        .where(
            SequenceAssignee.sequence_id.in_(
                select(SequenceContact.sequence_id).where(SequenceContact.contact_id == contact_id)
            )
        )
        .order_by(SequenceAssignee.sequence_id, SequenceAssignee.id)
        .with_for_update()
    )


async def insert_reps(session: AsyncSession, rows: list[dict]) -> None:
    if rows:
        await session.execute(SequenceAssignee.__table__.insert(), rows)


async def set_reps(
    session: AsyncSession, *, sequence_id: uuid.UUID, positions: dict[uuid.UUID, int]
) -> None:
    """Make exactly these reps the assignees, in this order; others keep their rows."""
    await session.execute(
        update(SequenceAssignee)
        .where(SequenceAssignee.sequence_id == sequence_id)
        .values(
            is_assignee=SequenceAssignee.workspace_membership_id.in_(list(positions)),
            position=case(
                positions,
                value=SequenceAssignee.workspace_membership_id,
                else_=SequenceAssignee.position,
            )
            if positions
            else SequenceAssignee.position,
        )
    )


async def add_to_loads(
    session: AsyncSession, *, sequence_id: uuid.UUID, deltas: Counter[uuid.UUID]
) -> None:
    """Apply load changes of several reps in one statement."""
    deltas = Counter({k: v for k, v in deltas.items() if v})
    if not deltas:
        return
    await session.execute(
        update(SequenceAssignee)
        .where(
            SequenceAssignee.sequence_id == sequence_id,
            SequenceAssignee.workspace_membership_id.in_(list(deltas)),
        )
        .values(
            active_load=SequenceAssignee.active_load
            + case(dict(deltas), value=SequenceAssignee.workspace_membership_id, else_=0)
        )
    )


async def release_one_each(
    session: AsyncSession, *, reps: Collection[tuple[uuid.UUID, uuid.UUID]]
) -> None:
    """Take one contact off each (sequence id, rep) pair's load, in one statement."""
    if reps:
        await session.execute(
            update(SequenceAssignee)
            .where(
                tuple_(SequenceAssignee.sequence_id, SequenceAssignee.workspace_membership_id).in_(
                    list(reps)
                )
            )
            .values(active_load=SequenceAssignee.active_load - 1)
        )


@dataclass(frozen=True)
class Candidate:
    contact_id: uuid.UUID
    enrolment_id: uuid.UUID | None
    deleted_at: datetime | None
    assignee_id: uuid.UUID | None


async def candidates(
    session: AsyncSession, *, sequence: Sequence, contact_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, Candidate]:
    """Contacts of the sequence's workspace among ``contact_ids``, with their row if any."""
    rows = await session.execute(
        select(
            Contact.id,
            SequenceContact.id,
            SequenceContact.deleted_at,
            SequenceContact.assigned_to_workspace_membership_id,
        )
        .outerjoin(
            SequenceContact,
            (SequenceContact.contact_id == Contact.id)
            & (SequenceContact.sequence_id == sequence.id),
        )
        .where(Contact.id.in_(list(contact_ids)), Contact.workspace_id == sequence.workspace_id)
    )
    return {row[0]: Candidate(*row) for row in rows}


async def resurrect(
    session: AsyncSession, *, enrolment_ids: Collection[uuid.UUID], now: datetime
) -> list[tuple[uuid.UUID, uuid.UUID, uuid.UUID]]:
    """Undelete rows still deleted; returns (contact, assignee, row id) of those undeleted."""
    if not enrolment_ids:
        return []
    rows = await session.execute(
        update(SequenceContact)
        .where(SequenceContact.id.in_(list(enrolment_ids)), SequenceContact.deleted_at.is_not(None))
        .values(deleted_at=None, created_at=now)
        .returning(
            SequenceContact.contact_id,
            SequenceContact.assigned_to_workspace_membership_id,
            SequenceContact.id,
        )
    )
    return [(row[0], row[1], row[2]) for row in rows]


async def insert_enrolments(
    session: AsyncSession, rows: list[dict]
) -> list[tuple[uuid.UUID, uuid.UUID, uuid.UUID]]:
    """Insert rows, skipping pairs a concurrent request enrolled first.

    Returns (contact, assignee, row id) of the rows inserted."""
    if not rows:
        return []
    statement = insert_ignoring_conflicts(
        session, SequenceContact, conflict_columns=["sequence_id", "contact_id"]
    ).returning(
        SequenceContact.contact_id,
        SequenceContact.assigned_to_workspace_membership_id,
        SequenceContact.id,
    )
    result = await session.execute(statement.values(rows))
    return [(row[0], row[1], row[2]) for row in result]


async def soft_delete(
    session: AsyncSession,
    *,
    sequence_id: uuid.UUID | None = None,
    contact_ids: Collection[uuid.UUID],
    now: datetime,
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """Soft-delete active rows; returns (sequence id, assignee) of each row removed."""
    if not contact_ids:
        return []
    statement = update(SequenceContact).where(
        SequenceContact.contact_id.in_(list(contact_ids)), SequenceContact.deleted_at.is_(None)
    )
    if sequence_id is not None:
        statement = statement.where(SequenceContact.sequence_id == sequence_id)
    rows = await session.execute(
        statement.values(deleted_at=now).returning(
            SequenceContact.sequence_id, SequenceContact.assigned_to_workspace_membership_id
        )
    )
    return [(row[0], row[1]) for row in rows]


async def enrolment_of(
    session: AsyncSession, *, sequence_id: uuid.UUID, contact_id: uuid.UUID
) -> SequenceContact | None:
    """The row of this contact in this sequence, active or not."""
    return await session.scalar(
        select(SequenceContact).where(
            SequenceContact.sequence_id == sequence_id, SequenceContact.contact_id == contact_id
        )
    )


async def active_enrolment(
    session: AsyncSession, *, sequence_id: uuid.UUID, contact_id: uuid.UUID
) -> SequenceContact | None:
    row = await enrolment_of(session, sequence_id=sequence_id, contact_id=contact_id)
    return row if row is not None and row.deleted_at is None else None


async def enrolments_of_contact(session: AsyncSession, contact_id: uuid.UUID) -> list[uuid.UUID]:
    """Ids of every row of this contact, in any sequence."""
    return list(
        await session.scalars(
            select(SequenceContact.id).where(SequenceContact.contact_id == contact_id)
        )
    )


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


async def active_count(session: AsyncSession, sequence_id: uuid.UUID) -> int:
    """Active contacts of the sequence, from the maintained loads (no scan of its rows)."""
    total = await session.scalar(
        select(func.coalesce(func.sum(SequenceAssignee.active_load), 0)).where(
            SequenceAssignee.sequence_id == sequence_id
        )
    )
    return int(total or 0)
