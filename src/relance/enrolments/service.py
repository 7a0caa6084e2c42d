"""Enrolments (sequence contacts): enrolling and withdrawing contacts; the assignees.

Every path that changes which contacts are active in a sequence goes through here, so
that the assignees' maintained loads (``SequenceAssignee.active_load``) stay exact, and
with them the counts per status and per tag (``enrolments.counts``) and the copy of each
enrolment's order on its tag rows. Each function issues a fixed number of statements
whatever the batch size.

Locks are taken in one order, so that concurrent changes wait for each other instead of
deadlocking (on PostgreSQL; SQLite serializes writers):

1. the contacts (``repository.Lock``): a delete locks its contact for update;
   an enrolment, a call, a tag change take a key-share lock on the contacts they touch,
   which waits only for a delete, after which the contact is gone;
2. the assignee rows of the sequences concerned, by sequence id then row id;
3. the enrolment rows, and what hangs off them (calls, tags);
4. the counts per (sequence, status), then per (sequence, tag), in key order, last.

So a contact delete, once it holds its contact, sees every sequence the contact will ever
have a row in, and no row can be made active behind its back without its load released.
"""

import uuid
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from relance.calling_windows import queue_key_between
from relance.db.models import Sequence, SequenceContact
from relance.db.types import new_id, utcnow
from relance.enrolments import counts, events, repository, statuses
from relance.enrolments.assignment import Assignee, Loads
from relance.errors import NotFound, ValidationFailed
from relance.events import outbox


async def live_sequence(session: AsyncSession, *, sequence_id: uuid.UUID) -> Sequence:
    """The sequence; 404 when unknown, deleted or out of scope."""
    sequence = await repository.live_sequence(session, sequence_id)
    if sequence is None:
        raise sequence_not_found()
    return sequence


def sequence_not_found() -> NotFound:
    """The 404 of a sequence unknown, deleted or out of scope, for readers that look it up
    themselves (the list reads it with its total)."""
    return NotFound("Sequence not found")


async def active_enrolment(
    session: AsyncSession,
    *,
    sequence_id: uuid.UUID,
    contact_id: uuid.UUID,
    share: bool = False,
    exclusive: bool = False,
) -> tuple[Sequence, SequenceContact | None]:
    """The live sequence (else 404) and the contact's active row in it, if any, read under
    the contact's share lock (the lock order's first step: a delete of it finishes first);
    ``share`` also holds the row itself, so that it stays active until commit, and
    ``exclusive`` holds it against other writers too."""
    sequence = await live_sequence(session, sequence_id=sequence_id)
    await repository.share_lock(session, [contact_id])
    row = await repository.enrolment_of(
        session, sequence_id=sequence.id, contact_id=contact_id, share=share, exclusive=exclusive
    )
    return sequence, row if row is not None and row.deleted_at is None else None


@dataclass(frozen=True)
class EnrolmentRequest:
    contact_id: uuid.UUID
    assignee_id: uuid.UUID | None = None  # a workspace membership id; None: round-robin


@dataclass(frozen=True)
class EnrolmentResult:
    added: set[uuid.UUID]  # new rows
    resurrected: set[uuid.UUID]  # soft-deleted rows made active again
    already_active: set[uuid.UUID]

    @property
    def count(self) -> int:
        return len(self.added) + len(self.resurrected)


async def enrol(
    session: AsyncSession, *, sequence: Sequence, requests: list[EnrolmentRequest], field: str
) -> EnrolmentResult:
    """Enrol contacts; unknown, foreign, duplicate and already active ones are skipped.

    A soft-deleted row comes back with its original assignee. A new row goes to the explicit
    assignee, which must be one of the sequence's assignees (else ValidationFailed naming
    ``field[i]``), or to the least loaded assignee, counting the batch's earlier items.
    """
    wanted = list(dict.fromkeys(r.contact_id for r in requests))
    await repository.share_lock(session, wanted)
    loads = Loads(
        [
            Assignee(r.workspace_membership_id, r.position, r.active_load, r.is_assignee)
            for r in await repository.lock_assignees(session, sequence.id)
        ]
    )
    for index, request in enumerate(requests):
        if request.assignee_id is not None and not loads.is_eligible(request.assignee_id):
            raise ValidationFailed(
                "not an assignee of this sequence",
                at=(field, index, "assigned_to_workspace_membership_id"),
            )
    found = await repository.candidates(session, sequence=sequence, contact_ids=wanted)

    now = utcnow()
    new_rows: list[dict] = []
    to_resurrect: list[uuid.UUID] = []
    already_active: set[uuid.UUID] = set()
    seen: set[uuid.UUID] = set()
    for request in requests:
        candidate = found.get(request.contact_id)
        if candidate is None or request.contact_id in seen:
            continue
        seen.add(request.contact_id)
        if candidate.enrolment_id is None:
            if request.assignee_id is not None:
                assignee = request.assignee_id
                loads.add(assignee)
            elif loads.has_eligible:
                assignee = loads.take_least_loaded()
            else:
                raise ValidationFailed(
                    "the sequence has no assignees to distribute contacts to", at=(field,)
                )
            new_rows.append(
                {
                    "id": new_id(),
                    "sequence_id": sequence.id,
                    "contact_id": request.contact_id,
                    "workspace_id": sequence.workspace_id,
                    "assigned_to_workspace_membership_id": assignee,
                    "created_at": now,
                    # As statuses.refresh derives it, which then has nothing to write.
                    "zone_key": queue_key_between(
                        candidate.lowest_zone_key, candidate.highest_zone_key
                    ),
                }
            )
        elif candidate.deleted_at is not None:
            assert candidate.assignee_id is not None  # a row always has its assignee
            to_resurrect.append(candidate.enrolment_id)
            loads.add(candidate.assignee_id)
        else:
            already_active.add(request.contact_id)

    resurrected = await repository.resurrect(session, enrolment_ids=to_resurrect, now=now)
    tag_deltas = await counts.restore_tags(
        session, enrolment_ids=[row for _, _, row in resurrected], now=now
    )
    inserted = await repository.insert_enrolments(session, new_rows)
    # Count only what the database actually changed: a concurrent request may have won.
    deltas = Counter(assignee for _, assignee, _ in resurrected + inserted)
    await repository.add_to_loads(session, sequence_id=sequence.id, deltas=deltas)
    activated = {row for _, _, row in resurrected + inserted}
    status_of = await statuses.refresh(session, enrolment_ids=activated, newly_active=activated)
    await counts.add_to_tag_counts(session, tag_deltas)
    enrolled = [
        events.Enrolled(sequence.workspace_id, sequence.id, row, contact, assignee, again)
        for again, rows in ((False, inserted), (True, resurrected))
        for contact, assignee, row in rows
    ]
    await outbox.record(session, [events.added(e, status_of.get(e.enrolment_id)) for e in enrolled])
    return EnrolmentResult(
        added={contact for contact, _, _ in inserted},
        resurrected={contact for contact, _, _ in resurrected},
        already_active=already_active,
    )


async def withdraw(
    session: AsyncSession, *, sequence: Sequence, contact_ids: list[uuid.UUID]
) -> int:
    """Soft-delete the active rows of these contacts; returns how many were removed."""
    await repository.lock_assignees(session, sequence.id)
    now = utcnow()
    removed = await repository.soft_delete(
        session, sequence_id=sequence.id, contact_ids=set(contact_ids), now=now
    )
    deltas: Counter[uuid.UUID] = Counter()
    for row in removed:
        deltas[row.assignee_id] -= 1
    await repository.add_to_loads(session, sequence_id=sequence.id, deltas=deltas)
    await _count_removed(session, removed, now=now)
    return len(removed)


async def withdraw_contact_everywhere(session: AsyncSession, *, contact_id: uuid.UUID) -> None:
    """Remove a contact from every sequence it is active in, before it is deleted; the
    caller holds the contact's ``Lock.DELETE``, so no enrolment of it can be under way."""
    await repository.lock_assignees_of_contact(session, contact_id)
    now = utcnow()
    removed = await repository.soft_delete(session, contact_ids=[contact_id], now=now)
    # A contact has one row per sequence, so each (sequence, assignee) pair loses exactly one.
    await repository.release_one_each(
        session, assignees=[(row.sequence_id, row.assignee_id) for row in removed]
    )
    await _count_removed(session, removed, now=now)


async def record_sequence_deleted(session: AsyncSession, *, sequence: Sequence) -> None:
    """Record the removal of every active contact of a sequence being soft-deleted: its
    rows stay as they are (the sequence answers 404 from then on), but to a subscriber the
    contacts have left it. Under the assignees' lock, as an enrolment takes it."""
    await repository.lock_assignees(session, sequence.id)
    rows = await repository.active_of_sequence(session, sequence.id)
    await outbox.record(
        session,
        [
            events.removed(
                workspace_id=sequence.workspace_id,
                sequence_id=sequence.id,
                enrolment_id=row,
                contact_id=contact,
            )
            for row, contact in rows
        ],
    )


async def _count_removed(
    session: AsyncSession, removed: list[repository.Removed], *, now: datetime
) -> None:
    """Take just soft-deleted rows off their sequences' status and tag counts."""
    tag_deltas = await counts.withdraw_tags(
        session, enrolment_ids=[row.id for row in removed], now=now
    )
    status_deltas: counts.StatusDeltas = Counter()
    for row in removed:
        if row.status is not None:
            status_deltas[(row.sequence_id, row.status, row.workspace_id)] -= 1
    await counts.add_to_status_counts(session, status_deltas)
    await counts.add_to_tag_counts(session, tag_deltas)
    await outbox.record(
        session,
        [
            events.removed(
                workspace_id=row.workspace_id,
                sequence_id=row.sequence_id,
                enrolment_id=row.id,
                contact_id=row.contact_id,
            )
            for row in removed
        ],
    )


async def count_tags(
    session: AsyncSession,
    *,
    enrolment: SequenceContact,
    added: Collection[uuid.UUID],
    removed: Collection[uuid.UUID],
) -> None:
    """Move the sequence's tag counts by the tags just put on and taken off an active
    enrolment (held under its share lock, ``active_enrolment(..., share=True)``)."""
    deltas: counts.TagDeltas = Counter()
    for tag_id in added:
        deltas[(enrolment.sequence_id, tag_id, enrolment.workspace_id)] += 1
    for tag_id in removed:
        deltas[(enrolment.sequence_id, tag_id, enrolment.workspace_id)] -= 1
    await counts.add_to_tag_counts(session, deltas)


@dataclass(frozen=True)
class SequenceAssignees:
    """A sequence's assignees as the API shows them."""

    current: list[repository.Member]  # in list order; former assignees are left out
    # Every assignee's load summed, former ones included (their contacts stay theirs): the
    # sequence's active contact count.
    contact_count: int


async def assignees_of(
    session: AsyncSession, *, sequences: list[Sequence]
) -> dict[uuid.UUID, SequenceAssignees]:
    """The assignees and active contact count of several sequences, in one statement."""
    current: dict[uuid.UUID, list[repository.Member]] = {s.id: [] for s in sequences}
    counts: Counter[uuid.UUID] = Counter()
    for row in await repository.assignee_rows(session, list(current)):
        counts[row.sequence_id] += row.active_load
        if row.is_assignee:
            current[row.sequence_id].append(row.member)
    return {key: SequenceAssignees(members, counts[key]) for key, members in current.items()}


async def set_assignees(
    session: AsyncSession,
    *,
    sequence: Sequence,
    workspace_membership_ids: list[uuid.UUID],
    created: bool = False,
) -> None:
    """Make these the sequence's assignees, in this order. Assignees taken off keep their
    rows and loads (their contacts stay theirs) but get no new contacts. A sequence just
    ``created`` has no rows to lock or move yet."""
    known: set[uuid.UUID] = set()
    if not created:
        assignees = await repository.lock_assignees(session, sequence.id)
        known = {r.workspace_membership_id for r in assignees}
    positions = {
        assignee_id: p for p, assignee_id in enumerate(dict.fromkeys(workspace_membership_ids))
    }
    await repository.insert_assignees(
        session,
        [
            {
                "id": new_id(),
                "sequence_id": sequence.id,
                "workspace_id": sequence.workspace_id,
                "workspace_membership_id": assignee_id,
                "position": position,
                "is_assignee": True,
                "active_load": 0,
            }
            for assignee_id, position in positions.items()
            if assignee_id not in known
        ],
    )
    if known:
        await repository.set_assignee_positions(
            session, sequence_id=sequence.id, positions=positions
        )
