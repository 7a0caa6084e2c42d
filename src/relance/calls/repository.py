"""Queries on calls, and the facts the sequence-contact status is derived from."""

import uuid
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, String, case, exists, func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from relance.calls.lifecycle import CallStatus
from relance.db.models import Call, PhoneNumber, SequenceContact


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
) -> dict[uuid.UUID, list[Call]]:
    """Each contact's calls in the sequence, newest first, in one statement."""
    by_contact: dict[uuid.UUID, list[Call]] = defaultdict(list)
    if contact_ids:
        rows = await session.scalars(
            select(Call)
            .where(Call.sequence_id == sequence_id, Call.contact_id.in_(list(contact_ids)))
            .order_by(Call.contact_id, Call.created_at.desc(), Call.id.desc())
        )
        for call in rows:
            by_contact[call.contact_id].append(call)
    return by_contact


async def status_facts(
    session: AsyncSession, *, enrolment_ids: Collection[uuid.UUID], under_way: Collection[str]
) -> Sequence[Row[Any]]:
    """The facts ``calls.statuses`` derives each sequence contact's status from, in one
    statement, as rows of ``enrolment_id`` and the fields of ``StatusFacts``;
    ``under_way`` is the rule's set of statuses of a call still in progress."""
    same_pair = (Call.sequence_id == SequenceContact.sequence_id) & (
        Call.contact_id == SequenceContact.contact_id
    )
    last_call = (
        select(Call.status)
        .where(same_pair, Call.status != CallStatus.NOT_INITIATED.value)
        .order_by(Call.created_at.desc(), Call.id.desc())
        .limit(1)
        .correlate(SequenceContact)
        .scalar_subquery()
    )
    rows = await session.execute(
        select(
            SequenceContact.id.label("enrolment_id"),
            exists().where(same_pair, Call.connected_at.is_not(None)).label("reached_a_person"),
            exists()
            .where(PhoneNumber.contact_id == SequenceContact.contact_id)
            .label("has_number"),
            exists().where(same_pair, Call.status.in_(list(under_way))).label("under_way"),
            last_call.label("last_call"),
        ).where(SequenceContact.id.in_(list(enrolment_ids)))
    )
    return rows.all()


async def store_statuses(session: AsyncSession, *, statuses: dict[uuid.UUID, str | None]) -> None:
    """Write several sequence contacts' statuses in one statement."""
    if not statuses:
        return
    await session.execute(
        update(SequenceContact)
        .where(SequenceContact.id.in_(list(statuses)))
        .values(
            status=case(
                {key: literal(value, String) for key, value in statuses.items()},
                value=SequenceContact.id,
                else_=SequenceContact.status,
            )
        )
    )
