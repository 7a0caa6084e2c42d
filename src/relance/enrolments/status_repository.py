"""Queries of the derived status (``enrolments.statuses``): the facts the rule reads, and
the statuses it stores."""

import uuid
from collections.abc import Collection
from collections.abc import Sequence as Rows
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    Boolean,
    Integer,
    Row,
    Select,
    String,
    bindparam,
    case,
    exists,
    func,
    literal,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.util import identity_key

from relance.call_lifecycle import CallStatus
from relance.db.models import Call, PhoneNumber, Sequence, SequenceContact
from relance.db.types import UTCDateTime


class Derived(NamedTuple):
    """The columns ``enrolments.statuses`` derives and stores on an enrolment."""

    status: str | None
    attempts: int
    last_attempt_at: datetime | None
    call_under_way: bool
    zone_key: str | None


def zone_key_bounds(contact_id: Any) -> tuple[Any, Any]:
    """``lowest_zone_key`` and ``highest_zone_key`` of the numbers of the contact
    ``contact_id`` names (None without a number): ``calling_windows.queue_key`` of the two
    is its queue key, for a statement that reads the contact."""

    def bound(aggregate: Any) -> Any:
        return (
            select(aggregate(PhoneNumber.time_zones))
            .where(PhoneNumber.contact_id == contact_id)
            .correlate_except(PhoneNumber)
            .scalar_subquery()
        )

    return bound(func.min).label("lowest_zone_key"), bound(func.max).label("highest_zone_key")


async def status_facts(
    session: AsyncSession, *, enrolment_ids: Collection[uuid.UUID], under_way: Collection[str]
) -> Rows[Row[Any]]:
    """The facts ``enrolments.statuses`` derives each enrolment's status from, in one
    statement, as rows of ``enrolment_id`` and the fields of ``StatusFacts`` (but
    ``has_number``: a contact has one when its lowest zone key is not None);
    ``under_way`` is the rule's set of statuses of a call still in progress; with each, the
    row's sequence, workspace, stored ``status`` and whether it is ``active``, read under
    the row's lock (its count moves from that status), and the lowest and the highest zone
    key of its contact's numbers (``calling_windows.queue_key`` of the two)."""
    rows = await session.execute(
        _STATUS_FACTS, {"enrolment_ids": list(enrolment_ids), "under_way": list(under_way)}
    )
    return rows.all()


def _status_facts() -> Select:
    """``status_facts``' statement, built once: its values are bound at each execution."""
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
    attempted = (same_pair, Call.status != CallStatus.NOT_INITIATED.value)
    return (
        select(
            SequenceContact.id.label("enrolment_id"),
            select(func.count())
            .where(*attempted)
            .correlate(SequenceContact)
            .scalar_subquery()
            .label("attempts"),
            select(func.max(func.coalesce(Call.started_at, Call.created_at)))
            .where(*attempted)
            .correlate(SequenceContact)
            .scalar_subquery()
            .label("last_attempt_at"),
            select(Sequence.max_attempts)
            .where(Sequence.id == SequenceContact.sequence_id)
            .correlate(SequenceContact)
            .scalar_subquery()
            .label("max_attempts"),
            SequenceContact.state,
            SequenceContact.attempts.label("stored_attempts"),
            SequenceContact.last_attempt_at.label("stored_last_attempt_at"),
            SequenceContact.call_under_way.label("stored_under_way"),
            *zone_key_bounds(SequenceContact.contact_id),
            SequenceContact.zone_key.label("stored_zone_key"),
            exists().where(same_pair, Call.connected_at.is_not(None)).label("reached_a_person"),
            exists()
            .where(same_pair, Call.status.in_(bindparam("under_way", expanding=True)))
            .label("under_way"),
            last_call.label("last_call"),
            SequenceContact.sequence_id,
            SequenceContact.contact_id,
            SequenceContact.workspace_id,
            SequenceContact.status,
            SequenceContact.deleted_at.is_(None).label("active"),
        )
        .where(SequenceContact.id.in_(bindparam("enrolment_ids", expanding=True)))
        .with_for_update(of=SequenceContact, key_share=True)
    )


_STATUS_FACTS = _status_facts()
_STORED = [
    *("status", "attempts", "last_attempt_at", "call_under_way", "zone_key"),
    *("state", "exit_reason", "finished_at"),
]
# The ORM cannot bring the values bound at execution to the objects it holds: it is told
# not to try, and the one row's object is expired instead (``store_statuses``).
_STORE_ONE = (
    update(SequenceContact)
    .execution_options(synchronize_session=False)
    .where(SequenceContact.id == bindparam("b_id"))
    .values(
        status=bindparam("b_status"),
        attempts=bindparam("b_attempts"),
        last_attempt_at=bindparam("b_last_attempt_at"),
        call_under_way=bindparam("b_call_under_way"),
        zone_key=bindparam("b_zone_key"),
    )
)
_STORE_ONE_FINISHED = _STORE_ONE.values(
    state="finished",
    exit_reason=bindparam("b_exit_reason"),
    finished_at=bindparam("b_finished_at"),
)


async def store_statuses(
    session: AsyncSession,
    *,
    statuses: dict[uuid.UUID, Derived],
    finished: dict[uuid.UUID, str],
    now: datetime,
) -> None:
    """Write several enrolments' derived columns (``Derived``), and
    finish those in ``finished`` with their exit reason, in one statement.

    One enrolment (a call placed or moved) takes a statement built once; several, one
    built for them."""
    if not statuses and not finished:
        return
    if len(statuses) == 1 and set(finished) <= set(statuses):
        [(enrolment_id, derived)] = statuses.items()
        bound = {
            "b_id": enrolment_id,
            "b_status": derived.status,
            "b_attempts": derived.attempts,
            "b_last_attempt_at": derived.last_attempt_at,
            "b_call_under_way": derived.call_under_way,
            "b_zone_key": derived.zone_key,
        }
        if finished:
            bound |= {"b_exit_reason": finished[enrolment_id], "b_finished_at": now}
        await session.execute(_STORE_ONE_FINISHED if finished else _STORE_ONE, bound)
        # As the statement for several does (its CASEs cannot be evaluated in Python): the
        # row's fields are expired on an object the session holds, never left stale.
        held = session.sync_session.identity_map.get(identity_key(SequenceContact, enrolment_id))
        if held is not None:
            session.expire(held, _STORED)
        return
    ids = SequenceContact.id

    def column(name: str, type_: Any) -> Any:
        values = {key: literal(getattr(value, name), type_) for key, value in statuses.items()}
        else_ = getattr(SequenceContact, name)
        return case(values, value=ids, else_=else_) if values else else_

    values: dict[str, object] = {
        "status": column("status", String),
        "attempts": column("attempts", Integer),
        "last_attempt_at": column("last_attempt_at", UTCDateTime()),
        "call_under_way": column("call_under_way", Boolean),
        "zone_key": column("zone_key", String),
    }
    if finished:
        reasons = {key: literal(reason, String) for key, reason in finished.items()}
        values["state"] = case(
            {k: literal("finished", String) for k in finished},
            value=ids,
            else_=SequenceContact.state,
        )
        values["exit_reason"] = case(reasons, value=ids, else_=SequenceContact.exit_reason)
        values["finished_at"] = case(
            {k: literal(now, UTCDateTime()) for k in finished},
            value=ids,
            else_=SequenceContact.finished_at,
        )
    await session.execute(
        update(SequenceContact).where(ids.in_([*statuses, *finished])).values(**values)
    )
