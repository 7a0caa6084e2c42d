"""Queries on calls."""

import functools
import uuid
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Row, Select, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from relance.db.models import Call
from relance.tenancy.scope import scoped


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


async def insert(session: AsyncSession, call: Call) -> None:
    session.add(call)
    await session.flush()


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


async def calls_of_page(
    session: AsyncSession, *, sequence_id: uuid.UUID, contact_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, list[Row]]:
    """Each contact's calls in the sequence, newest first, as rows (``id``, ``status``,
    ``started_at``, ``ended_at``, ``created_at``), in one Core statement."""
    by_contact: dict[uuid.UUID, list[Row]] = defaultdict(list)
    if contact_ids:
        rows = await session.execute(
            _calls_of_page(), {"sequence_id": sequence_id, "contact_ids": list(contact_ids)}
        )
        for row in rows:
            by_contact[row.contact_id].append(row)
    return by_contact


@functools.cache
def _calls_of_page() -> Select:
    calls = Call.__table__.c
    return scoped(
        select(
            calls.contact_id,
            calls.id,
            calls.status,
            calls.started_at,
            calls.ended_at,
            calls.created_at,
        )
        .where(
            calls.sequence_id == bindparam("sequence_id"),
            calls.contact_id.in_(bindparam("contact_ids", expanding=True)),
        )
        .order_by(calls.contact_id, calls.created_at.desc(), calls.id.desc())
    )
