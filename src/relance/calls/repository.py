"""Queries on calls."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, func, select
from sqlalchemy import insert as core_insert
from sqlalchemy.ext.asyncio import AsyncSession

from relance.db.dialect import (
    json_array,
    json_object,
    json_timestamp,
    json_uuid,
    json_whole_seconds,
)
from relance.db.models import Call


async def get(
    session: AsyncSession, call_id: uuid.UUID, *, for_update: bool = False
) -> Call | None:
    """One call; ``for_update`` locks it until commit and reads it afresh."""
    statement = select(Call).where(Call.id == call_id)
    if for_update:
        statement = statement.with_for_update(key_share=True).execution_options(
            populate_existing=True
        )
    return await session.scalar(statement)


_INSERT = core_insert(Call.__table__)
_COLUMNS = tuple(column.key for column in Call.__table__.columns)


async def insert(session: AsyncSession, call: Call) -> None:
    """Store a new call, given its id: a Core INSERT of its fields, the object staying out
    of the session (the unit of work would cost more than the statement)."""
    await session.execute(_INSERT, {name: getattr(call, name) for name in _COLUMNS})


@dataclass(frozen=True)
class CallFilters:
    sequence_id: uuid.UUID | None = None
    contact_id: uuid.UUID | None = None
    workspace_membership_id: uuid.UUID | None = None
    status: str | None = None
    created_from: datetime | None = None  # inclusive
    created_to: datetime | None = None  # exclusive


async def page(
    session: AsyncSession, *, filters: CallFilters, offset: int, limit: int
) -> tuple[int, list[Call]]:
    """Calls newest first, by createdAt then id."""
    conditions = []
    for column, value in (
        (Call.sequence_id, filters.sequence_id),
        (Call.contact_id, filters.contact_id),
        (Call.workspace_membership_id, filters.workspace_membership_id),
        (Call.status, filters.status),
    ):
        if value is not None:
            conditions.append(column == value)
    if filters.created_from is not None:
        conditions.append(Call.created_at >= filters.created_from)
    if filters.created_to is not None:
        conditions.append(Call.created_at < filters.created_to)
    total = await session.scalar(select(func.count()).select_from(Call).where(*conditions))
    rows = await session.scalars(
        select(Call)
        .where(*conditions)
        .order_by(Call.created_at.desc(), Call.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return total or 0, list(rows)


# The list shows each contact's latest calls in the sequence, and how many it has: an item
# stays this small however long the contact's history grows (README, "Bounds").
LATEST_CALLS = 20


def calls_json(dialect: str, sequence_id: Any, contact_id: ColumnElement) -> ScalarSelect:
    """For a page's statement: the latest ``LATEST_CALLS`` calls in the sequence of the
    contact ``contact_id`` names, newest first, as the wire's JSON array of the list's
    calls (``SequenceContactCallDto``)."""
    calls = Call.__table__.c
    rows = (
        select(calls.id, calls.status, calls.started_at, calls.ended_at, calls.created_at)
        .where(calls.sequence_id == sequence_id, calls.contact_id == contact_id)
        .correlate_except(Call.__table__)  # the contact is the enclosing statement's
    )
    return json_array(
        dialect,
        rows,
        lambda c: json_object(
            dialect,
            {
                "id": json_uuid(dialect, c.id),
                "status": c.status,
                "startedAt": json_timestamp(dialect, c.started_at),
                "endedAt": json_timestamp(dialect, c.ended_at),
                "durationSeconds": json_whole_seconds(dialect, c.started_at, c.ended_at),
                "createdAt": json_timestamp(dialect, c.created_at),
            },
        ),
        lambda c: [c.created_at.desc(), c.id.desc()],
        limit=LATEST_CALLS,
    )


def call_count(sequence_id: Any, contact_id: ColumnElement) -> ScalarSelect:
    """For a page's statement: how many calls in the sequence the contact has (an index
    range: the calls' first index leads with the sequence and the contact)."""
    calls = Call.__table__.c
    return (
        select(func.count())
        .where(calls.sequence_id == sequence_id, calls.contact_id == contact_id)
        .scalar_subquery()
    )
