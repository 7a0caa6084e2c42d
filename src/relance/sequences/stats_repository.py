"""Queries of a sequence's stats (``sequences.stats``): one aggregate statement each."""

import uuid
from collections.abc import Sequence as Rows
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, Row, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from relance.call_lifecycle import CallStatus
from relance.db.models import Call, SequenceAssignee, SequenceContact, SequenceStatusCount
from relance.enrolments.state_repository import FINISHED, is_active_at, is_paused_at


def _count(condition: Any) -> Any:
    return func.sum(case((condition, 1), else_=0)).cast(Integer)


async def per_rep(session: AsyncSession, *, sequence_id: uuid.UUID, now: datetime) -> Rows[Row]:
    """Per assignee of the sequence's contacts (removed ones left out): how many are active,
    paused and finished at ``now``, their attempts, how many have been attempted and how
    many connected."""
    rows = await session.execute(
        select(
            SequenceContact.assigned_to_workspace_membership_id.label("rep"),
            _count(is_active_at(now)).label("active"),
            _count(is_paused_at(now)).label("paused"),
            _count(SequenceContact.state == FINISHED).label("finished"),
            func.sum(SequenceContact.attempts).cast(Integer).label("attempts"),
            _count(SequenceContact.attempts > 0).label("attempted"),
            _count(SequenceContact.status == "CONNECTED").label("connected"),
        )
        .where(SequenceContact.sequence_id == sequence_id, SequenceContact.deleted_at.is_(None))
        .group_by(SequenceContact.assigned_to_workspace_membership_id)
    )
    return rows.all()


async def attempts_since(
    session: AsyncSession, *, sequence_id: uuid.UUID, since: datetime
) -> dict[uuid.UUID, int]:
    """Per caller: the sequence's calls that left NOT_INITIATED, started since ``since``."""
    rows = await session.execute(
        select(Call.workspace_membership_id, func.count())
        .where(
            Call.sequence_id == sequence_id,
            Call.status != CallStatus.NOT_INITIATED.value,
            Call.started_at >= since,
        )
        .group_by(Call.workspace_membership_id)
    )
    return {rep: count for rep, count in rows.all()}


async def loads(
    session: AsyncSession, *, sequence_id: uuid.UUID
) -> dict[uuid.UUID, tuple[int, bool]]:
    """Each assignee's maintained load, and whether they are a current assignee."""
    rows = await session.execute(
        select(
            SequenceAssignee.workspace_membership_id,
            SequenceAssignee.active_load,
            SequenceAssignee.is_assignee,
        ).where(SequenceAssignee.sequence_id == sequence_id)
    )
    return {rep: (load, current) for rep, load, current in rows.all()}


async def status_counts(session: AsyncSession, *, sequence_id: uuid.UUID) -> dict[str, int]:
    """The maintained counts of the sequence's contacts per status."""
    rows = await session.execute(
        select(SequenceStatusCount.status, SequenceStatusCount.active_count).where(
            SequenceStatusCount.sequence_id == sequence_id
        )
    )
    return {status: count for status, count in rows.all()}
