"""Queries of the enrolments' states (``enrolments.states``): one UPDATE per batch."""

import uuid
from collections.abc import Collection
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, and_, or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from relance.db.models import SequenceContact

ACTIVE, PAUSED, FINISHED = "active", "paused", "finished"


class Moved(NamedTuple):
    """A row whose state a change moved."""

    enrolment_id: uuid.UUID
    contact_id: uuid.UUID
    workspace_id: uuid.UUID


def is_active_at(now: Any, rows: Any = SequenceContact) -> ColumnElement[bool]:
    """Active at ``now``: so marked, or paused until a time already past (no job wakes it);
    ``rows`` is the model or a table's columns."""
    return or_(
        rows.state == ACTIVE,
        and_(rows.state == PAUSED, rows.paused_until.is_not(None), rows.paused_until <= now),
    )


def is_paused_at(now: Any, rows: Any = SequenceContact) -> ColumnElement[bool]:
    return and_(rows.state == PAUSED, or_(rows.paused_until.is_(None), rows.paused_until > now))


def in_state_at(state: str, now: Any, rows: Any = SequenceContact) -> ColumnElement[bool]:
    if state == ACTIVE:
        return is_active_at(now, rows)
    if state == PAUSED:
        return is_paused_at(now, rows)
    return rows.state == FINISHED


async def move(
    session: AsyncSession,
    *,
    sequence_id: uuid.UUID,
    contact_ids: Collection[uuid.UUID],
    where: ColumnElement[bool],
    values: dict[str, Any],
) -> list[Moved]:
    """Set ``values`` on the sequence's live rows of these contacts that match ``where``;
    the rows that changed."""
    if not contact_ids:
        return []
    result = await session.execute(
        update(SequenceContact)
        .where(
            SequenceContact.sequence_id == sequence_id,
            SequenceContact.contact_id.in_(list(contact_ids)),
            SequenceContact.deleted_at.is_(None),
            where,
        )
        .values(**values)
        .returning(SequenceContact.id, SequenceContact.contact_id, SequenceContact.workspace_id)
    )
    return [Moved(*row) for row in result.all()]


def reset_values() -> dict[str, Any]:
    """What a resurrected row starts from: active, no pause, not finished."""
    return {"state": ACTIVE, "paused_until": None, "finished_at": None, "exit_reason": None}


def finished_values(reason: str, now: datetime) -> dict[str, Any]:
    return {"state": FINISHED, "finished_at": now, "exit_reason": reason, "paused_until": None}
