"""The status of an enrolment (a contact in a sequence), derived from its calls and numbers.

This is the one place the rule lives (the README shows it as a table). The first line
that applies wins; "last call" is the latest by createdAt, then id, NOT_INITIATED calls
ignored:

1. CONNECTED       some call reached a person (entered CONNECTED or COMPLETED), ever,
                   whatever it moved to next
2. MISSING_NUMBER  the contact has no phone number
3. null            no call yet
4. RUNNING         some call is under way (INITIATED, QUEUED, RINGING, IN_PROGRESS),
                   whichever call is the last; or, none being under way, the last call
                   reached no one (BUSY, NO_ANSWER, MISSED_CALL): still to be called
5. RESPONDER       the last call hit voicemail
6. ERROR           the last call failed on the number or the route
7. CANCELLED       the last call was cancelled

The facts the rule reads are computed beside it, by ``refresh`` (one statement for any
number of contacts): "reached a person, ever" is a call's ``connected_at`` stamp, set the
first time it enters CONNECTED or COMPLETED (``calls.service``), so it survives the call
moving on. The result is stored on the sequence-contact row (indexed for ``?status=``)
and refreshed in the transaction of every change that can move it: a call created or
moved, a contact's numbers or its time zone changed, a contact enrolled or resurrected.

With the status, ``refresh`` keeps the enrolment's ``attempts`` (its calls that left
NOT_INITIATED), ``last_attempt_at`` (the latest of their start times),
``call_under_way`` (what the queue's claim reads) and ``zone_key`` (the queue key of its
contact's numbers, ``calling_windows.queue_key``), and finishes it, in the same
transaction, when its status becomes CONNECTED (exit reason ``connected``) or when it has
used the sequence's ``maxAttempts`` with no call under way and no one reached
(``max_attempts``). A row just made active again is not finished by what it already was:
it is finished by the next change that applies.
"""

import enum
import uuid
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from relance.call_lifecycle import CallStatus
from relance.calling_windows import queue_key_between
from relance.db.types import utcnow
from relance.enrolments import counts, events
from relance.enrolments import status_repository as repository
from relance.events import outbox
from relance.events.outbox import EventType


class SequenceContactStatus(enum.StrEnum):
    CONNECTED = "CONNECTED"
    RESPONDER = "RESPONDER"
    ERROR = "ERROR"
    CANCELLED = "CANCELLED"
    RUNNING = "RUNNING"
    MISSING_NUMBER = "MISSING_NUMBER"


UNDER_WAY = frozenset(
    {CallStatus.INITIATED, CallStatus.QUEUED, CallStatus.RINGING, CallStatus.IN_PROGRESS}
)
# Lines 4 to 7, read on the last call when no call is under way and none reached a person.
_BY_LAST_CALL = {
    CallStatus.BUSY: SequenceContactStatus.RUNNING,
    CallStatus.NO_ANSWER: SequenceContactStatus.RUNNING,
    CallStatus.MISSED_CALL: SequenceContactStatus.RUNNING,
    CallStatus.VOICEMAIL: SequenceContactStatus.RESPONDER,
    CallStatus.ERROR_NUMBER: SequenceContactStatus.ERROR,
    CallStatus.ERROR_COUNTRY: SequenceContactStatus.ERROR,
    CallStatus.UNKNOWN_ERROR: SequenceContactStatus.ERROR,
    CallStatus.CANCELLED: SequenceContactStatus.CANCELLED,
}


@dataclass(frozen=True)
class StatusFacts:
    """What the rule reads about one contact in one sequence."""

    reached_a_person: bool  # some call has connected_at set
    has_number: bool
    under_way: bool  # some call is in UNDER_WAY
    last_call: CallStatus | None  # the latest call that left NOT_INITIATED


def derive(facts: StatusFacts) -> SequenceContactStatus | None:
    """The rule above, line by line."""
    if facts.reached_a_person:
        return SequenceContactStatus.CONNECTED
    if not facts.has_number:
        return SequenceContactStatus.MISSING_NUMBER
    if facts.last_call is None:
        return None
    if facts.under_way:
        return SequenceContactStatus.RUNNING
    return _BY_LAST_CALL[facts.last_call]


async def refresh(
    session: AsyncSession,
    *,
    enrolment_ids: Collection[uuid.UUID],
    newly_active: Collection[uuid.UUID] = (),
    events_before: Sequence[outbox.NewEvent] = (),
) -> dict[uuid.UUID, str | None]:
    """Recompute and store the status of these sequence contacts, move the status counts
    of the active ones and record a ``status_changed`` event for each active one whose
    status moved, in a fixed number of statements; ``newly_active`` rows were just made
    active, so that no count holds them yet (their ``added`` event carries their status).
    ``events_before`` (those of the change that moved them, a call's) are recorded first,
    with the same statements. Returns each row's status."""
    if not enrolment_ids:
        await outbox.record(session, events_before)
        return {}
    rows = await repository.status_facts(
        session, enrolment_ids=enrolment_ids, under_way=[s.value for s in UNDER_WAY]
    )
    changed: dict[uuid.UUID, repository.Derived] = {}
    finished: dict[uuid.UUID, str] = {}
    current: dict[uuid.UUID, str | None] = {}
    moved: list[outbox.NewEvent] = list(events_before)
    deltas: counts.StatusDeltas = Counter()
    for row in rows:
        status = derive(
            StatusFacts(
                reached_a_person=bool(row.reached_a_person),
                has_number=row.lowest_zone_key is not None,  # every number has a key
                under_way=bool(row.under_way),
                last_call=None if row.last_call is None else CallStatus(row.last_call),
            )
        )
        new = None if status is None else status.value
        current[row.enrolment_id] = new
        attempts = int(row.attempts or 0)
        derived = repository.Derived(
            new,
            attempts,
            row.last_attempt_at,
            bool(row.under_way),
            queue_key_between(row.lowest_zone_key, row.highest_zone_key),
        )
        if derived != (
            row.status,
            row.stored_attempts,
            row.stored_last_attempt_at,
            row.stored_under_way,
            row.stored_zone_key,
        ):
            changed[row.enrolment_id] = derived
        if new != row.status and row.active and row.enrolment_id not in newly_active:
            moved.append(
                events.status_changed(
                    workspace_id=row.workspace_id,
                    sequence_id=row.sequence_id,
                    enrolment_id=row.enrolment_id,
                    contact_id=row.contact_id,
                    previous=row.status,
                    status=new,
                )
            )
        reason = _exit_reason(row, new, attempts, newly_active=row.enrolment_id in newly_active)
        if reason is not None:
            finished[row.enrolment_id] = reason
            moved.append(
                events.state_moved(
                    EventType.SEQUENCE_CONTACT_FINISHED,
                    workspace_id=row.workspace_id,
                    sequence_id=row.sequence_id,
                    enrolment_id=row.enrolment_id,
                    contact_id=row.contact_id,
                    exitReason=reason,
                )
            )
        if row.active:
            old = None if row.enrolment_id in newly_active else row.status
            if old is not None:
                deltas[(row.sequence_id, old, row.workspace_id)] -= 1
            if new is not None:
                deltas[(row.sequence_id, new, row.workspace_id)] += 1
    await repository.store_statuses(session, statuses=changed, finished=finished, now=utcnow())
    await counts.add_to_status_counts(session, deltas)
    await outbox.record(session, moved)
    return current


def _exit_reason(row: Any, new: str | None, attempts: int, *, newly_active: bool) -> str | None:
    """Why this refresh finishes the enrolment, if it does (the rule in the docstring)."""
    if not row.active or row.state == "finished" or newly_active:
        return None
    if new == SequenceContactStatus.CONNECTED:
        return "connected" if row.status != SequenceContactStatus.CONNECTED else None
    if row.max_attempts is not None and attempts >= row.max_attempts and not row.under_way:
        return "max_attempts"
    return None
