"""The life of an enrolment: ``active``, ``paused`` (until a time, or until resumed) and
``finished`` (with an exit reason). A contact paused until a time counts as active from
then on: nothing runs to wake it, every reader compares the time with now.

Pause takes active contacts only (a paused one keeps its pause), resume paused ones only,
finish active and paused ones; a removed contact is none of these, and re-adding it makes
it active again. ``enrolments.statuses`` finishes a contact on its own when it connects
or uses up the sequence's attempts. The counts these answer are of rows that changed, so
that each operation is idempotent.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from relance.calling_windows import CallingWindow, key_is_open, zones_of_key
from relance.db.models import Sequence
from relance.enrolments import events
from relance.enrolments import state_repository as repository
from relance.enrolments.state_repository import ACTIVE, FINISHED, PAUSED
from relance.events import outbox
from relance.events.outbox import EventType, timestamp


async def pause(
    session: AsyncSession,
    *,
    sequence: Sequence,
    contact_ids: list[uuid.UUID],
    until: datetime | None,
    now: datetime,
) -> int:
    """Pause the active ones among these contacts, until ``until`` or until resumed."""
    moved = await repository.move(
        session,
        sequence_id=sequence.id,
        contact_ids=set(contact_ids),
        where=repository.is_active_at(now),
        values={"state": PAUSED, "paused_until": until},
    )
    paused_until = None if until is None else timestamp(until)
    return await _record(
        session, EventType.SEQUENCE_CONTACT_PAUSED, sequence, moved, pausedUntil=paused_until
    )


async def resume(
    session: AsyncSession, *, sequence: Sequence, contact_ids: list[uuid.UUID], now: datetime
) -> int:
    """Make the paused ones among these contacts active."""
    moved = await repository.move(
        session,
        sequence_id=sequence.id,
        contact_ids=set(contact_ids),
        where=repository.is_paused_at(now),
        values={"state": ACTIVE, "paused_until": None},
    )
    return await _record(session, EventType.SEQUENCE_CONTACT_RESUMED, sequence, moved)


async def finish(
    session: AsyncSession,
    *,
    sequence: Sequence,
    contact_ids: list[uuid.UUID],
    reason: str,
    now: datetime,
) -> int:
    """Finish the active and paused ones among these contacts, with ``reason``."""
    moved = await repository.move(
        session,
        sequence_id=sequence.id,
        contact_ids=set(contact_ids),
        where=repository.SequenceContact.state != FINISHED,
        values=repository.finished_values(reason, now),
    )
    return await _record(
        session, EventType.SEQUENCE_CONTACT_FINISHED, sequence, moved, exitReason=reason
    )


async def _record(
    session: AsyncSession,
    type_: EventType,
    sequence: Sequence,
    moved: list[repository.Moved],
    **more: object,
) -> int:
    """Record one event per row the change moved, in one statement; how many moved."""
    await outbox.record(
        session,
        [
            events.state_moved(
                type_,
                workspace_id=row.workspace_id,
                sequence_id=sequence.id,
                enrolment_id=row.enrolment_id,
                contact_id=row.contact_id,
                **more,
            )
            for row in moved
        ],
    )
    return len(moved)


def effective_state(state: str, paused_until: datetime | None, now: datetime) -> str:
    """The state as of ``now``: a pause whose time has come reads as active."""
    if state == PAUSED and paused_until is not None and paused_until <= now:
        return ACTIVE
    return state


@dataclass(frozen=True)
class Policy:
    """What a sequence says about when its contacts may be called."""

    window: CallingWindow | None
    max_attempts: int | None
    retry_after_minutes: int

    @classmethod
    def of(
        cls, calling_window: dict | None, max_attempts: int | None, retry_after_minutes: int
    ) -> "Policy":
        window = None if calling_window is None else CallingWindow.load(calling_window)
        return cls(window, max_attempts, retry_after_minutes)


def next_callable_at(
    policy: Policy,
    *,
    state: str,
    paused_until: datetime | None,
    attempts: int,
    last_attempt_at: datetime | None,
    zone_keys: list[str],
    now: datetime,
) -> datetime | None:
    """When the queue may offer this contact next: ``now`` when it may now; None when it
    never will unless something changes (finished, out of attempts, paused until resumed,
    no number, no number whose zones the window ever opens in together). Calls under way
    and the do-not-call list are left out: they are the queue's to check."""
    state = effective_state(state, paused_until, now)
    if state == FINISHED or not zone_keys:
        return None
    if policy.max_attempts is not None and attempts >= policy.max_attempts:
        return None
    earliest = now
    if state == PAUSED:
        if paused_until is None:
            return None
        earliest = paused_until
    if last_attempt_at is not None and policy.retry_after_minutes:
        earliest = max(earliest, last_attempt_at + timedelta(minutes=policy.retry_after_minutes))
    window = policy.window
    if window is None:
        return earliest
    openings = [
        earliest
        if key_is_open(window, key, earliest)
        else window.next_opening(zones_of_key(key), earliest)
        for key in zone_keys
    ]
    known = [o for o in openings if o is not None]
    return min(known) if known else None
