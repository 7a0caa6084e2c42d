"""Queries of the queue (``calls.queue``): the sequence with the rep's lock, the next
callable contact, and when someone will be. Each is one statement whatever the sequence's
size: the candidate is read along the queue's index (``ix_sequence_contacts_queue``), in
its order within each queue key (``SequenceContact.zone_key``), and the keys and numbers
are filtered against the small set of zone keys open now, computed in Python
(``relance.calling_windows.open_keys``), never by local times per row."""

import functools
import uuid
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    CTE,
    ColumnElement,
    Row,
    Select,
    and_,
    bindparam,
    func,
    literal_column,
    or_,
    select,
    union,
)
from sqlalchemy.ext.asyncio import AsyncSession

from relance.calling_windows import MIXED
from relance.contacts.do_not_call_repository import is_listed
from relance.db.dialect import bound_values, dialect_name, in_few, in_values
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


# A rep's rows of the queue, the sequence and the rep bound at execution.
_REP = (
    SequenceContact.sequence_id == bindparam("sequence_id"),
    SequenceContact.assigned_to_workspace_membership_id == bindparam("rep"),
    QUEUE_ROWS,
)


def _present_keys() -> CTE:
    """The distinct queue keys (``SequenceContact.zone_key``) of the rep's queue, then a
    NULL: one seek of the queue's index per key, however many rows each has."""
    key = SequenceContact.zone_key
    first = select(key).where(*_REP, key.is_not(None)).order_by(key).limit(1)
    present = select(first.scalar_subquery().label("zone_key")).cte("present", recursive=True)
    following = select(key).where(*_REP, key > present.c.zone_key).order_by(key).limit(1)
    return present.union_all(
        select(following.scalar_subquery()).where(present.c.zone_key.is_not(None))
    )


@functools.cache
def _candidate(dialect: str, *, never_called: bool, windowed: bool, capped: bool) -> Select:
    """``next_candidate``'s statement for one shape, built once: its values are bound at
    each execution.

    The queue's index is ordered by queue key after the rep, so the statement first lists
    the keys of the rep's queue (``present``: one index seek per key, however many rows
    each has), keeps those open now and ``MIXED`` (``windowed``) or all of them, takes the
    first callable row of each (``heads``: an index seek each, in the queue's order), and
    returns the first of those heads. The rows of a closed key are never read. It locks
    the row it returns (FOR NO KEY UPDATE on PostgreSQL), so that a concurrent removal
    finishes first, or waits for the claim."""
    now = bindparam("now", type_=UTCDateTime())
    number = _callable_number(dialect, windowed=windowed).correlate(SequenceContact)
    callable_now = [
        QUEUE_ROWS,
        is_active_at(now),
        number.exists(),
        SequenceContact.call_under_way.is_(False),
    ]
    if capped:
        callable_now.append(SequenceContact.attempts < bindparam("max_attempts"))
    if never_called:
        callable_now.append(SequenceContact.last_attempt_at.is_(None))
    else:
        cutoff = bindparam("retry_cutoff", type_=UTCDateTime())
        callable_now.append(SequenceContact.last_attempt_at <= cutoff)
    present = _present_keys()
    head = select(SequenceContact.id).where(
        *_REP, *callable_now, SequenceContact.zone_key == present.c.zone_key
    )
    heads = select(head.order_by(*_QUEUE_ORDER).limit(1).scalar_subquery().label("id"))
    if windowed:
        heads = heads.where(
            or_(in_values(dialect, present.c.zone_key, "open_keys"), present.c.zone_key == MIXED)
        )
    else:
        heads = heads.where(present.c.zone_key.is_not(None))
    # The head's conditions again, but the sequence and the rep, which no change moves:
    # PostgreSQL checks them on the row's newest version when it had to wait for the
    # row's lock (a removal, say), and skips it if they fail. Without the sequence and the
    # rep, no index but the primary key serves them, and the heads are read by id.
    return (
        select(
            SequenceContact.id,
            SequenceContact.contact_id,
            number.scalar_subquery().label("phone_number_id"),
        )
        .where(in_few(dialect, SequenceContact.id, heads.cte("heads").select()), *callable_now)
        .order_by(*_QUEUE_ORDER)
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
    values = {
        "sequence_id": sequence_id,
        "rep": workspace_membership_id,
        "now": now,
        "retry_cutoff": now - timedelta(minutes=retry_after_minutes),
        "max_attempts": max_attempts,
    }
    return (await session.execute(_soonest(capped=max_attempts is not None), values)).one()


@functools.cache
def _soonest(*, capped: bool) -> Select:
    """``soonest``'s statement, built once. The pauses' end along their own index; the
    recent attempts per queue key (``_present_keys``), each an index seek."""
    now = bindparam("now", type_=UTCDateTime())
    limited = (SequenceContact.attempts < bindparam("max_attempts"),) if capped else ()
    pauses = select(func.min(SequenceContact.paused_until)).where(
        *_REP, *limited, _PAUSED, SequenceContact.paused_until > now
    )
    present = _present_keys()
    per_key = (
        select(SequenceContact.last_attempt_at)
        .where(
            *_REP,
            *limited,
            SequenceContact.zone_key == present.c.zone_key,
            is_active_at(now),
            SequenceContact.last_attempt_at > bindparam("retry_cutoff", type_=UTCDateTime()),
        )
        .order_by(SequenceContact.last_attempt_at)
        .limit(1)
    )
    recent = select(func.min(per_key.scalar_subquery())).select_from(present)
    return select(
        pauses.scalar_subquery().label("paused_until"),
        recent.scalar_subquery().label("recent_attempt"),
    )


async def zone_keys(
    session: AsyncSession,
    *,
    sequence_id: uuid.UUID,
    workspace_membership_id: uuid.UUID,
) -> list[str]:
    """The zone keys of the rep's queue, whose next window opening tells when to ask
    again: each queue key but ``MIXED``, and the keys of the numbers (off the do-not-call
    list) of its first ``MIXED_CONTACTS`` contacts of ``MIXED`` key, in the queue's order.
    Bounded, so that a 204 costs what a 201 does: a mixed contact further down the queue
    may open sooner, and is found when the client asks. A key may be one whose contacts
    cannot be called for another reason (no attempt left, every number on the list): the
    moment it gives is then early, and the client is told again when it asks."""
    rows = await session.scalars(
        _ZONE_KEYS, {"sequence_id": sequence_id, "rep": workspace_membership_id}
    )
    return list(rows)


MIXED_CONTACTS = 200


def _zone_keys() -> Any:
    present = _present_keys()
    keys = select(present.c.zone_key).where(
        present.c.zone_key.is_not(None), present.c.zone_key != MIXED
    )
    mixed = (
        select(SequenceContact.contact_id)
        .where(*_REP, SequenceContact.zone_key == MIXED)
        .order_by(*_QUEUE_ORDER)
        .limit(MIXED_CONTACTS)
    )
    numbers = select(PhoneNumber.time_zones).where(
        PhoneNumber.contact_id.in_(mixed), ~is_listed(PhoneNumber.number)
    )
    return union(keys, numbers)


_ZONE_KEYS = _zone_keys()
