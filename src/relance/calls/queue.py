"""The queue: a rep asks for the next contact to call, and gets a call created for it.

Callable means: assigned to the rep, active (a pause whose time has come counts), with
fewer attempts than the sequence's ``maxAttempts``, last attempted at least
``retryAfterMinutes`` ago, with no call under way in the sequence, and with a number off
the do-not-call list whose zones are all inside the calling window now (its first such
number in the contact's order is called). Never-called contacts come first, in enrolment
order; then the oldest last attempt.

The created call (QUEUED) is the claim: a contact with a call under way is not callable.
Claims are taken under the rep's assignee row, locked until commit, so that one rep's
concurrent requests take turns and each sees the calls the ones before created; reps'
contacts are disjoint, so reps never wait for each other (SQLite serializes writers).
The candidate's own row is read locked too, so that a concurrent removal of it finishes
first, or waits for the claim; a ``next`` that waited for a row the removal then took
away answers 204 (it picked one contact per zone), and the next request finds the
following one. The queue's query has checked all that ``POST /v1/calls`` checks, and
``calls.claim`` does not check it again.
"""

import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from relance.calling_windows import open_keys, zones_of_key
from relance.calls import queue_repository as repository
from relance.calls import service as calls
from relance.db.models import Call, PhoneNumber, Sequence, SequenceContact
from relance.enrolments import repository as enrolments_repository
from relance.enrolments import service as enrolments
from relance.enrolments.states import Policy
from relance.errors import ValidationFailed


@dataclass(frozen=True)
class NextCall:
    call: Call
    enrolment: SequenceContact
    phone_number: PhoneNumber


@dataclass(frozen=True)
class NobodyCallable:
    retry_after_seconds: int | None  # None: nothing Relance knows of will change it


async def next_call(
    session: AsyncSession,
    *,
    sequence_id: uuid.UUID,
    workspace_membership_id: uuid.UUID | None,
    now: datetime,
) -> NextCall | NobodyCallable:
    """Claim the rep's next callable contact with a QUEUED call, or say when to ask again."""
    sequence, rep = await _locking_rep(session, sequence_id, workspace_membership_id)
    policy = Policy.of(sequence.calling_window, sequence.max_attempts, sequence.retry_after_minutes)
    keys = None if policy.window is None else open_keys(policy.window, now)
    found = None
    for never_called in (True, False):
        found = await repository.next_candidate(
            session,
            sequence_id=sequence.id,
            workspace_membership_id=rep,
            never_called=never_called,
            open_keys=keys,
            max_attempts=policy.max_attempts,
            retry_after_minutes=policy.retry_after_minutes,
            now=now,
        )
        if found is not None:
            break
    if found is None:
        return NobodyCallable(await _retry_after(session, sequence.id, rep, policy, now))
    call = await calls.claim(
        session,
        sequence=sequence,
        enrolment_id=found.id,
        contact_id=found.contact_id,
        phone_number_id=found.phone_number_id,
        workspace_membership_id=rep,
        now=now,
    )
    enrolment, number = await repository.claimed(
        session, enrolment_id=found.id, phone_number_id=found.phone_number_id
    )
    return NextCall(call, enrolment, number)


async def _locking_rep(
    session: AsyncSession, sequence_id: uuid.UUID, rep: uuid.UUID | None
) -> tuple[Sequence, uuid.UUID]:
    """The live sequence and the rep asked for (or its one assignee when none is named),
    whose assignee row of it is locked until commit: one statement when the rep is named.
    404 for the sequence before 400 for the rep."""
    if rep is not None:
        found = await repository.sequence_locking_rep(
            session, sequence_id=sequence_id, workspace_membership_id=rep
        )
        if found is not None:
            return found, rep
    sequence = await enrolments.live_sequence(session, sequence_id=sequence_id)
    if rep is None:
        current = [
            row.workspace_membership_id
            for row in await enrolments_repository.assignee_rows(session, [sequence.id])
            if row.is_assignee
        ]
        if len(current) != 1:
            raise ValidationFailed(
                "required when the sequence has more or fewer than one assignee",
                at=("workspace_membership_id",),
            )
        [rep] = current
        locked = await repository.sequence_locking_rep(
            session, sequence_id=sequence.id, workspace_membership_id=rep
        )
        if locked is not None:
            return locked, rep
    raise ValidationFailed("not an assignee of this sequence", at=("workspace_membership_id",))


async def _retry_after(
    session: AsyncSession, sequence_id: uuid.UUID, rep: uuid.UUID, policy: Policy, now: datetime
) -> int | None:
    """Seconds until the soonest of: a pause ending, a retry delay ending, the window
    opening for one of the rep's numbers; None when none of these is ahead."""
    soonest = await repository.soonest(
        session,
        sequence_id=sequence_id,
        workspace_membership_id=rep,
        max_attempts=policy.max_attempts,
        retry_after_minutes=policy.retry_after_minutes,
        now=now,
    )
    moments = [soonest.paused_until]
    if soonest.recent_attempt is not None:
        moments.append(soonest.recent_attempt + timedelta(minutes=policy.retry_after_minutes))
    if policy.window is not None:
        for key in await repository.zone_keys(
            session, sequence_id=sequence_id, workspace_membership_id=rep
        ):
            if not policy.window.is_open_everywhere(zones_of_key(key), now):
                moments.append(policy.window.next_opening(zones_of_key(key), now))
    ahead = [m for m in moments if m is not None and m > now]
    if not ahead:
        return None
    return max(1, math.ceil((min(ahead) - now).total_seconds()))
