"""Queries on what is kept about a sequence's active enrolments beside the loads: how many
have each status and each tag, and the copy of each enrolment's order on its tag rows.

A count moves by a delta, ``UPDATE ... SET active_count = active_count + d`` through an
upsert, so that concurrent transactions add up instead of overwriting each other. A
transaction moves its counts last, after every other row it locks (the lock order of
``enrolments.service``), status counts before tag counts, each in key order.
"""

import uuid
from collections import Counter
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from relance.db.dialect import insert_adding_on_conflict
from relance.db.models import SequenceContactTag, SequenceStatusCount, SequenceTagCount

# (sequence id, status, workspace id) -> change in that status's count
StatusDeltas = Counter[tuple[uuid.UUID, str, uuid.UUID]]
# (sequence id, tag id, workspace id) -> change in that tag's count
TagDeltas = Counter[tuple[uuid.UUID, uuid.UUID, uuid.UUID]]


async def add_to_status_counts(session: AsyncSession, deltas: StatusDeltas) -> None:
    """Move several (sequence, status) counts, in one statement, in key order."""
    rows = [
        {"sequence_id": s, "status": status, "workspace_id": w, "active_count": n}
        for (s, status, w), n in sorted(deltas.items())
        if n
    ]
    if rows:
        await session.execute(
            insert_adding_on_conflict(
                session,
                SequenceStatusCount,
                conflict_columns=["sequence_id", "status"],
                add_to="active_count",
            ),
            rows,
        )


async def add_to_tag_counts(session: AsyncSession, deltas: TagDeltas) -> None:
    """Move several (sequence, tag) counts, in one statement, in key order."""
    rows = [
        {"sequence_id": s, "tag_id": t, "workspace_id": w, "active_count": n}
        for (s, t, w), n in sorted(deltas.items())
        if n
    ]
    if rows:
        await session.execute(
            insert_adding_on_conflict(
                session,
                SequenceTagCount,
                conflict_columns=["sequence_id", "tag_id"],
                add_to="active_count",
            ),
            rows,
        )


async def withdraw_tags(
    session: AsyncSession, *, enrolment_ids: Collection[uuid.UUID], now: datetime
) -> TagDeltas:
    """Mark the tag rows of these just soft-deleted enrolments withdrawn too; returns what
    that takes off the tag counts."""
    return await _move_tags(
        session,
        enrolment_ids,
        active=True,
        values={"enrolment_deleted_at": now},
        delta=-1,
    )


async def restore_tags(
    session: AsyncSession, *, enrolment_ids: Collection[uuid.UUID], now: datetime
) -> TagDeltas:
    """Make the tag rows of these just resurrected enrolments active again, under their new
    ``created_at``; returns what that adds to the tag counts."""
    return await _move_tags(
        session,
        enrolment_ids,
        active=False,
        values={"enrolment_deleted_at": None, "enrolment_created_at": now},
        delta=1,
    )


async def _move_tags(
    session: AsyncSession,
    enrolment_ids: Collection[uuid.UUID],
    *,
    active: bool,
    values: dict,
    delta: int,
) -> TagDeltas:
    deltas: TagDeltas = Counter()
    if not enrolment_ids:
        return deltas
    deleted_at = SequenceContactTag.enrolment_deleted_at
    rows = await session.execute(
        update(SequenceContactTag)
        .where(
            SequenceContactTag.sequence_contact_id.in_(list(enrolment_ids)),
            deleted_at.is_(None) if active else deleted_at.is_not(None),
        )
        .values(**values)
        .returning(
            SequenceContactTag.sequence_id,
            SequenceContactTag.tag_id,
            SequenceContactTag.workspace_id,
        )
    )
    for sequence_id, tag_id, workspace_id in rows:
        deltas[(sequence_id, tag_id, workspace_id)] += delta
    return deltas
