"""Queries of the queue (``calls.queue``): the rep's lock, the next callable contact, and
when someone will be. Each is one statement whatever the sequence's size: the candidate
is read along the queue's index (``ix_sequence_contacts_queue``), in its order, and its
numbers are filtered by zone key against the small set of keys open now, computed in
Python (``relance.calling_windows.open_keys``), never by local times per row."""

import uuid
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Row, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from relance.contacts.do_not_call_repository import is_listed
from relance.db.dialect import dialect_name, in_values
from relance.db.models import PhoneNumber, SequenceAssignee, SequenceContact
from relance.enrolments.state_repository import FINISHED, PAUSED, is_active_at

# The queue index's own condition, as a literal: a bound value would keep the planners
# (SQLite's, and PostgreSQL's generic plans) from seeing that the partial index applies.
_NOT_FINISHED = SequenceContact.state.op("<>")(literal_column(f"'{FINISHED}'"))
_PAUSED = SequenceContact.state.op("=")(literal_column(f"'{PAUSED}'"))


async def lock_rep(
    session: AsyncSession, *, sequence_id: uuid.UUID, workspace_membership_id: uuid.UUID
) -> bool:
    """Lock the rep's assignee row of the sequence until commit (FOR UPDATE), so that the
    rep's concurrent ``next`` calls take turns: each then sees the call the one before
    created. Reps have disjoint contacts, so different reps never wait for each other.
    False when the rep has no row (is no assignee, current or former, of the sequence)."""
    row = await session.scalar(
        select(SequenceAssignee.id)
        .where(
            SequenceAssignee.sequence_id == sequence_id,
            SequenceAssignee.workspace_membership_id == workspace_membership_id,
        )
        .with_for_update()
    )
    return row is not None


def _callable_number(
    dialect: str, *, open_keys: Collection[str] | None, under: Any = SequenceContact
) -> Any:
    """The numbers of the enrolment's contact that may be called now: off the do-not-call
    list, and (with a window) stored with a zone key open now."""
    conditions: list[ColumnElement[bool]] = [
        PhoneNumber.contact_id == under.contact_id,
        ~is_listed(PhoneNumber.number),
    ]
    if open_keys is not None:
        conditions.append(in_values(dialect, PhoneNumber.time_zones, sorted(open_keys)))
    return select(PhoneNumber.id).where(*conditions).order_by(PhoneNumber.position).limit(1)


async def next_candidate(
    session: AsyncSession,
    *,
    sequence_id: uuid.UUID,
    workspace_membership_id: uuid.UUID,
    never_called: bool,
    open_keys: Collection[str] | None,
    max_attempts: int | None,
    retry_after_minutes: int,
    now: datetime,
) -> Row | None:
    """The rep's first callable enrolment, as (``id``, ``contact_id``, ``phone_number_id``):
    among those ``never_called`` in enrolment order, else among the others by oldest last
    attempt; ``open_keys`` None means no window."""
    number = _callable_number(dialect_name(session), open_keys=open_keys).correlate(SequenceContact)
    statement = select(
        SequenceContact.id,
        SequenceContact.contact_id,
        number.scalar_subquery().label("phone_number_id"),
    ).where(
        SequenceContact.sequence_id == sequence_id,
        SequenceContact.assigned_to_workspace_membership_id == workspace_membership_id,
        SequenceContact.deleted_at.is_(None),
        _NOT_FINISHED,
        is_active_at(now),
        number.exists(),
        SequenceContact.call_under_way.is_(False),
    )
    if max_attempts is not None:
        statement = statement.where(SequenceContact.attempts < max_attempts)
    if never_called:
        statement = statement.where(SequenceContact.last_attempt_at.is_(None)).order_by(
            SequenceContact.created_at, SequenceContact.id
        )
    else:
        statement = statement.where(
            SequenceContact.last_attempt_at <= now - timedelta(minutes=retry_after_minutes)
        ).order_by(SequenceContact.last_attempt_at, SequenceContact.created_at, SequenceContact.id)
    return (await session.execute(statement.limit(1))).first()


def _rep_rows(sequence_id: uuid.UUID, workspace_membership_id: uuid.UUID) -> tuple:
    return (
        SequenceContact.sequence_id == sequence_id,
        SequenceContact.assigned_to_workspace_membership_id == workspace_membership_id,
        SequenceContact.deleted_at.is_(None),
        _NOT_FINISHED,
    )


async def soonest(
    session: AsyncSession,
    *,
    sequence_id: uuid.UUID,
    workspace_membership_id: uuid.UUID,
    max_attempts: int | None,
    retry_after_minutes: int,
    now: datetime,
) -> Row:
    """When the rep's contacts next change of their own, in one statement: the next end of
    a pause (``paused_until``), and the earliest last attempt still inside the retry delay
    (``recent_attempt``), among contacts with attempts left."""
    rep = _rep_rows(sequence_id, workspace_membership_id)
    capped = () if max_attempts is None else (SequenceContact.attempts < max_attempts,)
    pauses = select(func.min(SequenceContact.paused_until)).where(
        *rep, *capped, _PAUSED, SequenceContact.paused_until > now
    )
    recent = select(func.min(SequenceContact.last_attempt_at)).where(
        *rep,
        *capped,
        is_active_at(now),
        SequenceContact.last_attempt_at > now - timedelta(minutes=retry_after_minutes),
    )
    return (
        await session.execute(
            select(
                pauses.scalar_subquery().label("paused_until"),
                recent.scalar_subquery().label("recent_attempt"),
            )
        )
    ).one()


async def zone_keys(
    session: AsyncSession,
    *,
    sequence_id: uuid.UUID,
    workspace_membership_id: uuid.UUID,
    max_attempts: int | None,
    contacts: int = 200,
) -> list[str]:
    """The distinct zone keys of the numbers (off the do-not-call list) of the rep's first
    ``contacts`` contacts with attempts left, in the queue's order: whose next window
    opening tells when to ask again. Bounded, so that a 204 costs what a 201 does; a
    contact further down the queue may open sooner, and is found when the client asks."""
    rep = _rep_rows(sequence_id, workspace_membership_id)
    capped = () if max_attempts is None else (SequenceContact.attempts < max_attempts,)
    first = (
        select(SequenceContact.contact_id)
        .where(*rep, *capped)
        .order_by(SequenceContact.last_attempt_at, SequenceContact.created_at, SequenceContact.id)
        .limit(contacts)
        .subquery()
    )
    rows = await session.scalars(
        select(PhoneNumber.time_zones)
        .where(
            PhoneNumber.contact_id.in_(select(first.c.contact_id)), ~is_listed(PhoneNumber.number)
        )
        .distinct()
    )
    return list(rows)
