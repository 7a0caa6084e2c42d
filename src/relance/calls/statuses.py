"""The status of a contact in a sequence, derived from its calls and numbers.

This is the one place the rule lives (the README shows it as a table). The first line
that applies wins; "last call" is the latest by createdAt, then id, NOT_INITIATED calls
ignored:

1. CONNECTED       some call reached a person (CONNECTED or COMPLETED), ever
2. MISSING_NUMBER  the contact has no phone number
3. null            no call yet
4. RUNNING         a call is under way, or the last one reached no one (BUSY, NO_ANSWER,
                   MISSED_CALL): the contact is still to be called
5. RESPONDER       the last call hit voicemail
6. ERROR           the last call failed on the number or the route
7. CANCELLED       the last call was cancelled

The result is stored on the sequence-contact row (indexed for ``?status=``) and refreshed
in the transaction of every change that can move it: a call created or moved, a contact's
numbers changed, a contact enrolled or resurrected.
"""

import enum
import uuid
from collections.abc import Collection

from sqlalchemy.ext.asyncio import AsyncSession

from relance.calls import repository
from relance.calls.lifecycle import CallStatus


class SequenceContactStatus(enum.StrEnum):
    CONNECTED = "CONNECTED"
    RESPONDER = "RESPONDER"
    ERROR = "ERROR"
    CANCELLED = "CANCELLED"
    RUNNING = "RUNNING"
    MISSING_NUMBER = "MISSING_NUMBER"


REACHED_A_PERSON = frozenset({CallStatus.CONNECTED, CallStatus.COMPLETED})
_BY_LAST_CALL = {
    CallStatus.INITIATED: SequenceContactStatus.RUNNING,
    CallStatus.QUEUED: SequenceContactStatus.RUNNING,
    CallStatus.RINGING: SequenceContactStatus.RUNNING,
    CallStatus.IN_PROGRESS: SequenceContactStatus.RUNNING,
    CallStatus.BUSY: SequenceContactStatus.RUNNING,
    CallStatus.NO_ANSWER: SequenceContactStatus.RUNNING,
    CallStatus.MISSED_CALL: SequenceContactStatus.RUNNING,
    CallStatus.VOICEMAIL: SequenceContactStatus.RESPONDER,
    CallStatus.ERROR_NUMBER: SequenceContactStatus.ERROR,
    CallStatus.ERROR_COUNTRY: SequenceContactStatus.ERROR,
    CallStatus.UNKNOWN_ERROR: SequenceContactStatus.ERROR,
    CallStatus.CANCELLED: SequenceContactStatus.CANCELLED,
}


def derive(
    *, ever_reached: bool, has_number: bool, last_call: CallStatus | None
) -> SequenceContactStatus | None:
    """The rule above. ``last_call`` is the latest call that left NOT_INITIATED, if any."""
    if ever_reached:
        return SequenceContactStatus.CONNECTED
    if not has_number:
        return SequenceContactStatus.MISSING_NUMBER
    if last_call is None:
        return None
    return _BY_LAST_CALL[last_call]


async def refresh(session: AsyncSession, *, enrolment_ids: Collection[uuid.UUID]) -> None:
    """Recompute and store the status of these sequence contacts, in three statements."""
    if not enrolment_ids:
        return
    facts = await repository.status_facts(session, enrolment_ids=enrolment_ids)
    await repository.store_statuses(
        session,
        statuses={
            fact.enrolment_id: derive(
                ever_reached=fact.ever_reached,
                has_number=fact.has_number,
                last_call=None if fact.last_call is None else CallStatus(fact.last_call),
            )
            for fact in facts
        },
    )
