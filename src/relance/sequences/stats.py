"""A sequence's stats: what a manager's screen shows, from the maintained counts (per
status, the assignees' loads) and two aggregate statements (per rep and state, and the
day's attempts), whatever the sequence's size.

"Today" is the UTC day of ``now``. The connection rate is the share of the contacts
attempted at least once that connected; None while none was attempted.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from relance.enrolments import service as enrolments
from relance.sequences import stats_repository as repository


@dataclass(frozen=True)
class RepStats:
    workspace_membership_id: uuid.UUID
    is_assignee: bool
    active_load: int  # every contact of theirs in the sequence (the maintained load)
    active: int
    paused: int
    finished: int
    attempts: int
    attempts_today: int
    connected: int


@dataclass(frozen=True)
class SequenceStats:
    contact_count: int
    by_status: dict[str, int]
    by_state: dict[str, int]
    reps: list[RepStats]
    attempts: int
    attempted: int
    connected: int

    @property
    def connection_rate(self) -> float | None:
        return None if self.attempted == 0 else self.connected / self.attempted


async def stats(session: AsyncSession, *, sequence_id: uuid.UUID, now: datetime) -> SequenceStats:
    """The stats of a live sequence (404 otherwise) at ``now``."""
    sequence = await enrolments.live_sequence(session, sequence_id=sequence_id)
    loads = await repository.loads(session, sequence_id=sequence.id)
    by_status = await repository.status_counts(session, sequence_id=sequence.id)
    rows = {
        row.rep: row for row in await repository.per_rep(session, sequence_id=sequence.id, now=now)
    }
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    attempts_today = await repository.attempts_since(session, sequence_id=sequence.id, since=today)
    reps = []
    for rep, (load, current) in loads.items():
        row = rows.get(rep)
        reps.append(
            RepStats(
                workspace_membership_id=rep,
                is_assignee=current,
                active_load=load,
                active=row.active if row else 0,
                paused=row.paused if row else 0,
                finished=row.finished if row else 0,
                attempts=row.attempts if row else 0,
                attempts_today=attempts_today.get(rep, 0),
                connected=row.connected if row else 0,
            )
        )
    return SequenceStats(
        contact_count=sum(load for load, _ in loads.values()),
        by_status={status: count for status, count in sorted(by_status.items()) if count},
        by_state={
            "active": sum(r.active for r in reps),
            "paused": sum(r.paused for r in reps),
            "finished": sum(r.finished for r in reps),
        },
        reps=reps,
        attempts=sum(r.attempts for r in reps),
        attempted=sum(row.attempted or 0 for row in rows.values()),
        connected=sum(r.connected for r in reps),
    )
