"""Queries on enrolments (sequence contacts), the assignees' loads, and the locks they take.

The locks follow the one order of ``enrolments.service``: contacts, then assignee rows, then
enrolment rows.
"""

import enum
import uuid
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import ColumnElement, Select, bindparam, case, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from relance.db.dialect import insert_ignoring_conflicts
from relance.db.models import (
    Contact,
    OrganizationMembership,
    Sequence,
    SequenceAssignee,
    SequenceContact,
    WorkspaceMembership,
)
from relance.enrolments.state_repository import reset_values
from relance.enrolments.status_repository import zone_key_bounds
from relance.tenancy.scope import scoped

T = TypeVar("T")

# --- the contacts: the lock order's first step ------------------------------------------


class Lock(enum.Enum):
    """Row locks on a contact, held until commit. A delete waits for every other; the others
    wait only for a delete, and then find the contact gone. SQLite serializes writers and
    takes none."""

    SHARE = "share"  # FOR KEY SHARE: work on rows under the contact (enrolments, calls, tags)
    UPDATE = "update"  # FOR NO KEY UPDATE: change the contact's own fields
    DELETE = "delete"  # FOR UPDATE: delete it


def locked(statement: Select[T], lock: Lock) -> Select[T]:
    """``statement`` (a SELECT of contacts) taking ``lock`` on the rows it reads."""
    if lock is Lock.SHARE:
        return statement.with_for_update(read=True, key_share=True)
    if lock is Lock.UPDATE:
        return statement.with_for_update(key_share=True)
    return statement.with_for_update()


async def share_lock(session: AsyncSession, contact_ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
    """``Lock.SHARE`` on these contacts, in id order; returns those that still exist."""
    if not contact_ids:
        return set()
    rows = await session.scalars(
        locked(
            select(Contact.id).where(Contact.id.in_(sorted(contact_ids))).order_by(Contact.id),
            Lock.SHARE,
        )
    )
    return set(rows)


# --- the sequence -----------------------------------------------------------------------


def is_live(sequences: Any = Sequence) -> ColumnElement[bool]:
    """A sequence not soft-deleted (the tenant scope adds the rest); ``sequences`` is the
    model, or for a Core read the table's columns (``Sequence.__table__.c``)."""
    return sequences.deleted_at.is_(None)


# Statements a plain read runs on every request are built once, their values bound at
# each execution: building one costs more than SQLAlchemy's cached execution of it.
_LIVE_SEQUENCE = select(Sequence).where(Sequence.id == bindparam("sequence_id"), is_live())


async def live_sequence(session: AsyncSession, sequence_id: uuid.UUID) -> Sequence | None:
    """The sequence unless it is unknown, deleted or out of scope."""
    return await session.scalar(_LIVE_SEQUENCE, {"sequence_id": sequence_id})


# --- the assignees and their loads -----------------------------------------------------------


class Member(NamedTuple):
    """An assignee's organization membership, as a sequence shows it."""

    id: uuid.UUID
    email: str
    first_name: str | None
    last_name: str | None


class AssigneeRow(NamedTuple):
    sequence_id: uuid.UUID
    workspace_membership_id: uuid.UUID
    position: int
    is_assignee: bool
    active_load: int
    member: Member


_ASSIGNEE_TABLE, _MEMBER_TABLE, _WORKSPACE_MEMBER_TABLE = (
    m.__table__ for m in (SequenceAssignee, OrganizationMembership, WorkspaceMembership)
)
_ASSIGNEES, _MEMBERS, _WORKSPACE_MEMBERS = (
    t.c for t in (_ASSIGNEE_TABLE, _MEMBER_TABLE, _WORKSPACE_MEMBER_TABLE)
)
_ASSIGNEE_ROWS: Select = scoped(
    select(
        *(_ASSIGNEES[c] for c in AssigneeRow._fields[:-1]),
        *(_MEMBERS[c] for c in Member._fields),
    )
    .join(_WORKSPACE_MEMBER_TABLE, _WORKSPACE_MEMBERS.id == _ASSIGNEES.workspace_membership_id)
    .join(_MEMBER_TABLE, _MEMBERS.id == _WORKSPACE_MEMBERS.organization_membership_id)
    .where(_ASSIGNEES.sequence_id.in_(bindparam("sequence_ids", expanding=True)))
    .order_by(_ASSIGNEES.sequence_id, _ASSIGNEES.position)
)


async def assignee_rows(
    session: AsyncSession, sequence_ids: Collection[uuid.UUID]
) -> list[AssigneeRow]:
    """Every assignee row of these sequences (current assignees and former ones), in list
    order: a Core read, scoped once (``tenancy.scope.scoped``), as every read of a sequence
    runs it."""
    if not sequence_ids:
        return []
    rows = await session.execute(_ASSIGNEE_ROWS, {"sequence_ids": list(sequence_ids)})
    return [AssigneeRow._make((*row[:5], Member._make(row[5:]))) for row in rows]


async def lock_assignees(session: AsyncSession, sequence_id: uuid.UUID) -> list[SequenceAssignee]:
    """The sequence's assignee rows, locked until commit so that concurrent batches queue up.

    On PostgreSQL this is ``SELECT ... FOR UPDATE``; SQLite write transactions already hold
    the database's write lock (see relance.db.dialect).
    """
    rows = await session.scalars(
        select(SequenceAssignee)
        .where(SequenceAssignee.sequence_id == sequence_id)
        .order_by(SequenceAssignee.id)
        .with_for_update()
    )
    return list(rows)


async def lock_assignees_of_contact(session: AsyncSession, contact_id: uuid.UUID) -> None:
    """Lock the assignee rows of every sequence the contact has a row in (active or removed),
    by sequence id then row id, the order ``lock_assignees`` takes one sequence's in."""
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


async def insert_assignees(session: AsyncSession, rows: list[dict]) -> None:
    if rows:
        await session.execute(SequenceAssignee.__table__.insert(), rows)


async def set_assignee_positions(
    session: AsyncSession, *, sequence_id: uuid.UUID, positions: dict[uuid.UUID, int]
) -> None:
    """Make exactly these assignees the assignees, in this order; others keep their rows."""
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
    """Apply load changes of several assignees in one statement."""
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
    session: AsyncSession, *, assignees: Collection[tuple[uuid.UUID, uuid.UUID]]
) -> None:
    """Take one contact off each (sequence id, assignee) pair's load, in one statement."""
    if assignees:
        await session.execute(
            update(SequenceAssignee)
            .where(
                tuple_(SequenceAssignee.sequence_id, SequenceAssignee.workspace_membership_id).in_(
                    list(assignees)
                )
            )
            .values(active_load=SequenceAssignee.active_load - 1)
        )


# --- the enrolment rows -----------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    contact_id: uuid.UUID
    enrolment_id: uuid.UUID | None
    deleted_at: datetime | None
    assignee_id: uuid.UUID | None
    lowest_zone_key: str | None  # of its numbers (``zone_key_bounds``)
    highest_zone_key: str | None


async def candidates(
    session: AsyncSession, *, sequence: Sequence, contact_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, Candidate]:
    """Contacts of the sequence's workspace among ``contact_ids``, with their row if any
    and the bounds of their numbers' zone keys."""
    rows = await session.execute(
        _CANDIDATES,
        {
            "sequence_id": sequence.id,
            "workspace_id": sequence.workspace_id,
            "contact_ids": list(contact_ids),
        },
    )
    return {row[0]: Candidate(*row) for row in rows}


_CANDIDATES = (
    select(
        Contact.id,
        SequenceContact.id,
        SequenceContact.deleted_at,
        SequenceContact.assigned_to_workspace_membership_id,
        *zone_key_bounds(Contact.id),
    )
    .outerjoin(
        SequenceContact,
        (SequenceContact.contact_id == Contact.id)
        & (SequenceContact.sequence_id == bindparam("sequence_id")),
    )
    .where(
        Contact.id.in_(bindparam("contact_ids", expanding=True)),
        Contact.workspace_id == bindparam("workspace_id"),
    )
)


async def resurrect(
    session: AsyncSession, *, enrolment_ids: Collection[uuid.UUID], now: datetime
) -> list[tuple[uuid.UUID, uuid.UUID, uuid.UUID]]:
    """Undelete rows still deleted; returns (contact, assignee, row id) of those undeleted."""
    if not enrolment_ids:
        return []
    rows = await session.execute(
        update(SequenceContact)
        .where(SequenceContact.id.in_(list(enrolment_ids)), SequenceContact.deleted_at.is_not(None))
        .values(deleted_at=None, created_at=now, **reset_values())
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
        session,
        SequenceContact,
        conflict_columns=["sequence_id", "contact_id"],
        returning=("contact_id", "assigned_to_workspace_membership_id", "id"),
    )
    result = await session.execute(statement, rows)
    return [(row[0], row[1], row[2]) for row in result]


@dataclass(frozen=True)
class Removed:
    sequence_id: uuid.UUID
    assignee_id: uuid.UUID
    id: uuid.UUID
    status: str | None
    workspace_id: uuid.UUID
    contact_id: uuid.UUID


async def soft_delete(
    session: AsyncSession,
    *,
    sequence_id: uuid.UUID | None = None,
    contact_ids: Collection[uuid.UUID],
    now: datetime,
) -> list[Removed]:
    """Soft-delete active rows; returns each row removed."""
    if not contact_ids:
        return []
    statement = update(SequenceContact).where(
        SequenceContact.contact_id.in_(list(contact_ids)), SequenceContact.deleted_at.is_(None)
    )
    if sequence_id is not None:
        statement = statement.where(SequenceContact.sequence_id == sequence_id)
    rows = await session.execute(
        statement.values(deleted_at=now).returning(
            SequenceContact.sequence_id,
            SequenceContact.assigned_to_workspace_membership_id,
            SequenceContact.id,
            SequenceContact.status,
            SequenceContact.workspace_id,
            SequenceContact.contact_id,
        )
    )
    return [Removed(*row) for row in rows]


async def enrolment_of(
    session: AsyncSession,
    *,
    sequence_id: uuid.UUID,
    contact_id: uuid.UUID,
    share: bool = False,
    exclusive: bool = False,
) -> SequenceContact | None:
    """The row of this contact in this sequence, active or not; ``share`` locks it FOR
    SHARE until commit and reads it afresh (a concurrent removal finishes first);
    ``exclusive`` locks it FOR NO KEY UPDATE instead (writers of what hangs off the row
    also queue up behind each other)."""
    statement = select(SequenceContact).where(
        SequenceContact.sequence_id == sequence_id, SequenceContact.contact_id == contact_id
    )
    if share or exclusive:
        statement = statement.with_for_update(
            read=not exclusive, key_share=exclusive
        ).execution_options(populate_existing=True)
    return await session.scalar(statement)


async def enrolments_of_contact(session: AsyncSession, contact_id: uuid.UUID) -> list[uuid.UUID]:
    """Ids of every row of this contact, in any sequence."""
    return list(
        await session.scalars(
            select(SequenceContact.id).where(SequenceContact.contact_id == contact_id)
        )
    )


async def active_of_sequence(
    session: AsyncSession, sequence_id: uuid.UUID
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(row id, contact id) of every active row of a sequence, in one statement."""
    rows = await session.execute(
        select(SequenceContact.id, SequenceContact.contact_id).where(
            SequenceContact.sequence_id == sequence_id, SequenceContact.deleted_at.is_(None)
        )
    )
    return [(row[0], row[1]) for row in rows]
