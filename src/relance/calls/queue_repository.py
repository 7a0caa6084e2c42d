"""Queries of the queue (``calls.queue``): the sequence with the rep's lock, the next
callable contact, and when someone will be. Each is one statement whatever the sequence's
size: the candidate is read along the queue's index (``ix_sequence_contacts_queue``), in
its order, and its numbers are filtered by zone key against the small set of keys open
now, computed in Python (``relance.calling_windows.open_keys``), never by local times
per row."""

import functools
import uuid
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    and_,
    bindparam,
    func,
    literal_column,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from relance.contacts.do_not_call_repository import is_listed
from relance.db.dialect import bound_values, dialect_name, in_values
from relance.db.models import (
    QUEUE_ROWS,
    PhoneNumber,
    Sequence,
    SequenceAssignee,
    SequenceContact,
)
from relance.db.types import UTCDateTime
from relance.enrolments.repository import is_live
from relance.enrolments.state_repository import PAUSED, is_active_at

_PAUSED = SequenceContact.state.op("=")(literal_column(f"'{PAUSED}'"))
# The queue index's own order, last_attempt_at included even among the never called (all
# NULL): PostgreSQL does not take ``IS NULL`` as fixing a column's place in an order, and
# without it would sort, or walk the sequence's rows of every rep instead.
_QUEUE_ORDER = (SequenceContact.last_attempt_at, SequenceContact.created_at, SequenceContact.id)


async def sequence_locking_rep(
    session: AsyncSession, *, sequence_id: uuid.UUID, workspace_membership_id: uuid.UUID
) -> Sequence | None:
    """The live sequence, with the rep's assignee row of it locked until commit (FOR UPDATE)
    so that the rep's concurrent ``next`` calls take turns: each then sees the call the one
    before created. Reps have disjoint contacts, so different reps never wait for each
    other. One statement; None when the sequence is unknown, deleted or out of scope, or
    the rep has no row of it (is no assignee, current or former)."""
    return await session.scalar(
        _SEQUENCE_LOCKING_REP, {"sequence_id": sequence_id, "rep": workspace_membership_id}
    )


_SEQUENCE_LOCKING_REP = (
    select(Sequence)
    .join(
        SequenceAssignee,
        and_(
            SequenceAssignee.sequence_id == Sequence.id,
            SequenceAssignee.workspace_membership_id == bindparam("rep"),
        ),
    )
    .where(Sequence.id == bindparam("sequence_id"), is_live())
    .with_for_update(of=SequenceAssignee)
)


def _callable_number(dialect: str, *, windowed: bool) -> Any:
    """The numbers of the enrolment's contact that may be called now: off the do-not-call
    list, and (``windowed``) stored with a zone key open now (``open_keys``)."""
    conditions: list[ColumnElement[bool]] = [
        PhoneNumber.contact_id == SequenceContact.contact_id,
        ~is_listed(PhoneNumber.number),
    ]
    if windowed:
        conditions.append(in_values(dialect, PhoneNumber.time_zones, "open_keys"))
    return select(PhoneNumber.id).where(*conditions).order_by(PhoneNumber.position).limit(1)


@functools.cache
def _candidate(dialect: str, *, never_called: bool, windowed: bool, capped: bool) -> Select:
    """``next_candidate``'s statement for one shape, built once: its values are bound at
    each execution. It locks the row it returns (FOR NO KEY UPDATE on PostgreSQL), so that
    a concurrent removal finishes first, or waits for the claim."""
    number = _callable_number(dialect, windowed=windowed).correlate(SequenceContact)
    now = bindparam("now", type_=UTCDateTime())
    statement = select(
        SequenceContact.id,
        SequenceContact.contact_id,
        number.scalar_subquery().label("phone_number_id"),
    ).where(
        SequenceContact.sequence_id == bindparam("sequence_id"),
        SequenceContact.assigned_to_workspace_membership_id == bindparam("rep"),
        QUEUE_ROWS,
        is_active_at(now),
        number.exists(),
        SequenceContact.call_under_way.is_(False),
    )
    if capped:
        statement = statement.where(SequenceContact.attempts < bindparam("max_attempts"))
    if never_called:
        statement = statement.where(SequenceContact.last_attempt_at.is_(None))
    else:
        statement = statement.where(
            SequenceContact.last_attempt_at <= bindparam("retry_cutoff", type_=UTCDateTime())
        )
    return (
        statement.order_by(*_QUEUE_ORDER)
        .limit(1)
        .with_for_update(of=SequenceContact, key_share=True)
    )


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
    """The rep's first callable enrolment, as (``id``, ``contact_id``, ``phone_number_id``),
    locked until commit: among those ``never_called`` in enrolment order, else among the
    others by oldest last attempt; ``open_keys`` None means no window."""
    dialect = dialect_name(session)
    statement = _candidate(
        dialect,
        never_called=never_called,
        windowed=open_keys is not None,
        capped=max_attempts is not None,
    )
    values: dict[str, Any] = {
        "sequence_id": sequence_id,
        "rep": workspace_membership_id,
        "now": now,
        "max_attempts": max_attempts,
        "retry_cutoff": now - timedelta(minutes=retry_after_minutes),
    }
    if open_keys is not None:
        values["open_keys"] = bound_values(dialect, sorted(open_keys))
    return (await session.execute(statement, values)).first()


# The claimed row and its number, read afresh after the claim moved the row's fields.
_CLAIMED = (
    select(SequenceContact, PhoneNumber)
    .join(PhoneNumber, PhoneNumber.contact_id == SequenceContact.contact_id)
    .where(
        SequenceContact.id == bindparam("enrolment_id"),
        PhoneNumber.id == bindparam("phone_number_id"),
    )
    .execution_options(populate_existing=True)
)


async def claimed(
    session: AsyncSession, *, enrolment_id: uuid.UUID, phone_number_id: uuid.UUID
) -> tuple[SequenceContact, PhoneNumber]:
    """The enrolment just claimed and the number its call is to, in one statement."""
    row = (
        await session.execute(
            _CLAIMED, {"enrolment_id": enrolment_id, "phone_number_id": phone_number_id}
        )
    ).one()
    return row[0], row[1]


def _rep_rows(sequence_id: uuid.UUID, workspace_membership_id: uuid.UUID) -> tuple:
    return (
        SequenceContact.sequence_id == sequence_id,
        SequenceContact.assigned_to_workspace_membership_id == workspace_membership_id,
        QUEUE_ROWS,
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
        .order_by(*_QUEUE_ORDER)
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
