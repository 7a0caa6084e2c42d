"""Calls: placed to a contact in a sequence, moved through their life, listed."""

import uuid
from dataclasses import replace
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from relance.call_lifecycle import (
    CallStatus,
    has_ended,
    has_started,
    is_allowed,
    rank,
    reaches_a_person,
)
from relance.calling_windows import CallingWindow, key_is_open
from relance.calls import repository
from relance.calls.repository import CallFilters
from relance.contacts import do_not_call_repository
from relance.contacts import repository as contacts_repository
from relance.db.models import Call, PhoneNumber, Sequence, SequenceContact
from relance.db.types import new_id, truncate_to_ms, utcnow
from relance.enrolments import repository as enrolments_repository
from relance.enrolments import service as enrolments
from relance.enrolments import statuses
from relance.errors import (
    DoNotCall,
    InvalidTransition,
    MaxAttemptsReached,
    NotFound,
    OutsideCallingWindow,
    ValidationFailed,
)
from relance.events import outbox
from relance.events.outbox import EventType
from relance.tenancy import repository as tenancy_repository
from relance.unset import UNSET, Maybe


async def create(
    session: AsyncSession,
    *,
    sequence_id: uuid.UUID,
    contact_id: uuid.UUID,
    phone_number_id: uuid.UUID | None = None,
    workspace_membership_id: uuid.UUID | None = None,
    status: CallStatus = CallStatus.NOT_INITIATED,
    started_at: datetime | None = None,
    ended_at: datetime | None = None,
    recording_url: str | None = None,
    now: datetime | None = None,
) -> Call:
    """Record a call to a contact active in the sequence, in any status (history imports).

    A call placed (a status before CONNECTED) is refused with a 409 when its number is on
    the do-not-call list, when the sequence's calling window is closed in the number's
    zones at ``now`` (the app's clock), or when the contact has used the sequence's
    attempts; a call created in CONNECTED or an end state is history, and is recorded."""
    sequence, enrolment = await enrolments.active_enrolment(
        session, sequence_id=sequence_id, contact_id=contact_id
    )
    if enrolment is None:
        raise ValidationFailed("not an active contact of this sequence", at=("contact_id",))
    numbers = (await contacts_repository.phone_numbers_of(session, [contact_id])).get(
        contact_id, []
    )
    if phone_number_id is None:
        if not numbers:
            raise ValidationFailed("the contact has no phone number to call", at=("contact_id",))
        phone_number_id = min(numbers, key=lambda n: (n.created_at, n.position)).id
    elif phone_number_id not in {n.id for n in numbers}:
        raise ValidationFailed("not a number of this contact", at=("phone_number_id",))
    now = now or utcnow()
    if rank(status) < rank(CallStatus.CONNECTED):
        number = next(n for n in numbers if n.id == phone_number_id)
        await check_placeable(
            session, sequence=sequence, enrolment=enrolment, number=number, now=now
        )
    if workspace_membership_id is None:
        workspace_membership_id = enrolment.assigned_to_workspace_membership_id
    elif not await tenancy_repository.is_workspace_membership(
        session, workspace_id=sequence.workspace_id, workspace_membership_id=workspace_membership_id
    ):
        raise ValidationFailed(
            "not a member of the sequence's workspace", at=("workspace_membership_id",)
        )
    call = _new_call(
        sequence,
        contact_id=contact_id,
        phone_number_id=phone_number_id,
        workspace_membership_id=workspace_membership_id,
        status=status,
        started_at=started_at,
        ended_at=ended_at,
        recording_url=recording_url,
        now=now,
    )
    await _insert(session, call, enrolment_id=enrolment.id)
    return call


async def claim(
    session: AsyncSession,
    *,
    sequence: Sequence,
    enrolment_id: uuid.UUID,
    contact_id: uuid.UUID,
    phone_number_id: uuid.UUID,
    workspace_membership_id: uuid.UUID,
    now: datetime,
) -> Call:
    """The queue's claim: a QUEUED call to a number the queue found callable, for the rep
    of the enrolment it holds locked (``calls.queue``), which has checked what ``create``
    checks in the statement that found it."""
    call = _new_call(
        sequence,
        contact_id=contact_id,
        phone_number_id=phone_number_id,
        workspace_membership_id=workspace_membership_id,
        status=CallStatus.QUEUED,
        now=now,
    )
    await _insert(session, call, enrolment_id=enrolment_id)
    return call


def _new_call(
    sequence: Sequence,
    *,
    contact_id: uuid.UUID,
    phone_number_id: uuid.UUID,
    workspace_membership_id: uuid.UUID,
    status: CallStatus,
    started_at: datetime | None = None,
    ended_at: datetime | None = None,
    recording_url: str | None = None,
    now: datetime,
) -> Call:
    """A call of the sequence not stored yet, its times stamped as ``_move`` does."""
    call = Call(
        id=new_id(),
        workspace_id=sequence.workspace_id,
        sequence_id=sequence.id,
        contact_id=contact_id,
        phone_number_id=phone_number_id,
        workspace_membership_id=workspace_membership_id,
        status=status,
        recording_url=recording_url,
        created_at=now,
        updated_at=now,
    )
    _move(call, status, started_at=started_at, ended_at=ended_at, now=now)
    return call


async def _insert(session: AsyncSession, call: Call, *, enrolment_id: uuid.UUID) -> None:
    """Store a new call, its event, and its enrolment's refreshed status."""
    await repository.insert(session, call)
    await statuses.refresh(
        session, enrolment_ids=[enrolment_id], events_before=[_event(call, EventType.CALL_CREATED)]
    )


async def check_placeable(
    session: AsyncSession,
    *,
    sequence: Sequence,
    enrolment: SequenceContact,
    number: PhoneNumber,
    now: datetime,
) -> None:
    """The 409s of a call placed to ``number`` (``create``)."""
    if await do_not_call_repository.listed(session, [number.number]):
        raise DoNotCall("This number is on the do-not-call list")
    window = (
        None if sequence.calling_window is None else CallingWindow.load(sequence.calling_window)
    )
    if not key_is_open(window, number.time_zones, now):
        raise OutsideCallingWindow("The sequence's calling window is closed for this number now")
    if sequence.max_attempts is not None and enrolment.attempts >= sequence.max_attempts:
        raise MaxAttemptsReached("The contact has had the sequence's maxAttempts calls")


async def update(
    session: AsyncSession,
    *,
    call_id: uuid.UUID,
    status: Maybe[CallStatus] = UNSET,
    started_at: Maybe[datetime] = UNSET,
    ended_at: Maybe[datetime] = UNSET,
    recording_url: Maybe[str | None] = UNSET,
    now: datetime | None = None,
) -> Call:
    """Move a call forward and/or set its times and recording; ``now`` (the app's clock)
    stamps what the client did not give."""
    found = await get(session, call_id=call_id)
    # Its contact first, then the call itself (the lock order of enrolments.service): a
    # concurrent delete of the contact, which takes its calls along, finishes first.
    await enrolments_repository.share_lock(session, [found.contact_id])
    call = await repository.get(session, found.id, for_update=True)
    if call is None:
        raise NotFound("Call not found")
    target = CallStatus(call.status) if status is UNSET else status
    if not is_allowed(CallStatus(call.status), target):
        raise InvalidTransition(f"A call cannot move from {call.status} to {target}")
    if recording_url is not UNSET:
        call.recording_url = recording_url
    _move(
        call,
        target,
        started_at=call.started_at if started_at is UNSET else started_at,
        ended_at=call.ended_at if ended_at is UNSET else ended_at,
        now=now or utcnow(),
    )
    call.updated_at = now or utcnow()
    await session.flush()
    enrolment = None
    if status is not UNSET:
        enrolment = await enrolments_repository.enrolment_of(
            session, sequence_id=call.sequence_id, contact_id=call.contact_id
        )
    await statuses.refresh(
        session,
        enrolment_ids=[] if enrolment is None else [enrolment.id],
        events_before=[_event(call, EventType.CALL_UPDATED)],
    )
    return call


async def get(session: AsyncSession, *, call_id: uuid.UUID) -> Call:
    """One call; 404 when unknown or out of scope."""
    call = await repository.get(session, call_id)
    if call is None:
        raise NotFound("Call not found")
    return call


async def page(
    session: AsyncSession, *, filters: CallFilters, offset: int, limit: int
) -> tuple[int, list[Call]]:
    """Calls the key can see, newest first; the creation bounds are compared at the
    millisecond, the precision calls are stored and shown in."""
    filters = replace(
        filters,
        created_from=None if filters.created_from is None else truncate_to_ms(filters.created_from),
        created_to=None if filters.created_to is None else truncate_to_ms(filters.created_to),
    )
    return await repository.page(session, filters=filters, offset=offset, limit=limit)


def duration_seconds(call: Call) -> int | None:
    """The call's duration (``seconds_between``)."""
    return seconds_between(call.started_at, call.ended_at)


def seconds_between(started_at: datetime | None, ended_at: datetime | None) -> int | None:
    """Whole seconds from start to end, rounded down; None unless both are known. The list's
    statement writes the same (``db.dialect.json_whole_seconds``, checked against this)."""
    if started_at is None or ended_at is None:
        return None
    return int((ended_at - started_at).total_seconds() // 1)


def _event(call: Call, kind: EventType) -> outbox.NewEvent:
    """A call's event; its data is the call as ``GET /v1/calls/{id}`` shows it."""
    moment = outbox.timestamp
    return outbox.NewEvent(
        call.workspace_id,
        kind,
        {
            "id": str(call.id),
            "sequenceId": str(call.sequence_id),
            "contactId": str(call.contact_id),
            "phoneNumberId": outbox.text(call.phone_number_id),
            "workspaceMembershipId": str(call.workspace_membership_id),
            "status": CallStatus(call.status).value,
            "startedAt": None if call.started_at is None else moment(call.started_at),
            "endedAt": None if call.ended_at is None else moment(call.ended_at),
            "durationSeconds": duration_seconds(call),
            "recordingUrl": call.recording_url,
            "createdAt": moment(call.created_at),
        },
    )


def _move(
    call: Call,
    status: CallStatus,
    *,
    started_at: datetime | None,
    ended_at: datetime | None,
    now: datetime,
) -> None:
    """Set the status; stamp the start and end the client did not give as happening now,
    and ``connected_at`` the first time the call reaches a person (never cleared after).

    Times are cut to the millisecond first, as stored and shown, so that the checks and the
    duration agree with what the API returns.
    """
    call.status = status
    if reaches_a_person(status) and call.connected_at is None:
        call.connected_at = now
    started_at = None if started_at is None else truncate_to_ms(started_at)
    ended_at = None if ended_at is None else truncate_to_ms(ended_at)
    if started_at is None and has_started(status):
        started_at = now
    if ended_at is None and has_ended(status):
        ended_at = now
    if started_at is not None and ended_at is not None and ended_at < started_at:
        raise ValidationFailed("before startedAt", at=("ended_at",))
    call.started_at, call.ended_at = started_at, ended_at
