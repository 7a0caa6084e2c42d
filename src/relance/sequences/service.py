"""Sequences: create, read, update, delete, and the add and remove operations."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from relance.calling_windows import CallingWindow
from relance.db.models import Sequence
from relance.db.types import utcnow
from relance.enrolments import service as enrolments
from relance.enrolments import states
from relance.enrolments.repository import Member
from relance.enrolments.service import EnrolmentRequest
from relance.errors import ValidationFailed
from relance.sequences import filters, repository
from relance.tenancy import repository as tenancy_repository
from relance.tenancy.scope import scope_of
from relance.tenancy.workspaces import resolve_workspace
from relance.unset import UNSET, Maybe


@dataclass(frozen=True)
class SequenceView:
    sequence: Sequence
    assignees: list[Member]
    contact_count: int


async def create(
    session: AsyncSession,
    *,
    name: str,
    creator_id: uuid.UUID,
    assigned_to_ids: list[uuid.UUID],
    contact_ids: list[uuid.UUID],
    workspace_id: uuid.UUID | None,
    is_continuous: bool = False,
    filter: filters.Filter | None = None,
    calling_window: CallingWindow | None = None,
    max_attempts: int | None = None,
    retry_after_minutes: int = 0,
) -> SequenceView:
    """Create a sequence with its assignees and calling policy, and enrol ``contact_ids``
    as the add operation does."""
    workspace_id = resolve_workspace(scope_of(session), workspace_id)
    members = await tenancy_repository.workspace_memberships_for(
        session,
        workspace_id=workspace_id,
        organization_membership_ids=[creator_id, *assigned_to_ids],
    )
    if creator_id not in members:
        raise ValidationFailed("not a member of the sequence's workspace", at=("creator_id",))
    _check_members(assigned_to_ids, members)
    now = utcnow()
    sequence = Sequence(
        workspace_id=workspace_id,
        name=name,
        creator_membership_id=creator_id,
        is_continuous=is_continuous,
        filter=None if filter is None else filters.dump(filter),
        calling_window=None if calling_window is None else calling_window.dump(),
        max_attempts=max_attempts,
        retry_after_minutes=retry_after_minutes,
        created_at=now,
        updated_at=now,
    )
    session.add(sequence)
    await session.flush()
    await enrolments.set_assignees(
        session,
        sequence=sequence,
        workspace_membership_ids=[members[m].id for m in assigned_to_ids],
        created=True,
    )
    if contact_ids:
        await enrolments.enrol(
            session,
            sequence=sequence,
            requests=[EnrolmentRequest(contact_id=c) for c in contact_ids],
            field="contact_ids",
        )
    return (await _views(session, [sequence]))[0]


async def get(session: AsyncSession, *, sequence_id: uuid.UUID) -> SequenceView:
    """One live sequence; 404 when unknown, deleted or out of scope."""
    return (
        await _views(session, [await enrolments.live_sequence(session, sequence_id=sequence_id)])
    )[0]


async def page(session: AsyncSession, *, offset: int, limit: int) -> tuple[int, list[SequenceView]]:
    """A page of the live sequences the key can see."""
    total, sequences = await repository.page(session, offset=offset, limit=limit)
    return total, await _views(session, sequences)


async def update(
    session: AsyncSession,
    *,
    sequence_id: uuid.UUID,
    name: Maybe[str | None] = UNSET,
    assigned_to_ids: Maybe[list[uuid.UUID] | None] = UNSET,
    is_continuous: Maybe[bool] = UNSET,
    filter: Maybe[filters.Filter | None] = UNSET,
    calling_window: Maybe[CallingWindow | None] = UNSET,
    max_attempts: Maybe[int | None] = UNSET,
    retry_after_minutes: Maybe[int] = UNSET,
) -> SequenceView:
    """Change what is given: the assignees are replaced (their contacts stay theirs; new ones
    go to the new list), a null filter, window or attempt cap clears it, a null name or
    assignee list leaves it. A new cap finishes no one by itself: a contact past it is
    finished by its next call (and the queue and POST /v1/calls refuse it meanwhile)."""
    sequence = await enrolments.live_sequence(session, sequence_id=sequence_id)
    if calling_window is not UNSET:
        sequence.calling_window = None if calling_window is None else calling_window.dump()
    if max_attempts is not UNSET:
        sequence.max_attempts = max_attempts
    if retry_after_minutes is not UNSET:
        sequence.retry_after_minutes = retry_after_minutes
    if filter is not UNSET:
        sequence.filter = None if filter is None else filters.dump(filter)
    if is_continuous is not UNSET:
        sequence.is_continuous = is_continuous
    if name is not UNSET and name is not None:
        sequence.name = name
    if assigned_to_ids is not UNSET and assigned_to_ids is not None:
        members = await tenancy_repository.workspace_memberships_for(
            session, workspace_id=sequence.workspace_id, organization_membership_ids=assigned_to_ids
        )
        _check_members(assigned_to_ids, members)
        await enrolments.set_assignees(
            session,
            sequence=sequence,
            workspace_membership_ids=[members[m].id for m in assigned_to_ids],
        )
    sequence.updated_at = utcnow()
    await session.flush()
    return (await _views(session, [sequence]))[0]


async def delete(session: AsyncSession, *, sequence_id: uuid.UUID) -> None:
    """Soft-delete a sequence: it answers 404 from then on."""
    sequence = await enrolments.live_sequence(session, sequence_id=sequence_id)
    sequence.deleted_at = sequence.updated_at = utcnow()
    await session.flush()
    await enrolments.record_sequence_deleted(session, sequence=sequence)


async def add_contacts(
    session: AsyncSession, *, sequence_id: uuid.UUID, requests: list[EnrolmentRequest]
) -> int:
    """The add operation: how many contacts were added or resurrected."""
    sequence = await enrolments.live_sequence(session, sequence_id=sequence_id)
    result = await enrolments.enrol(session, sequence=sequence, requests=requests, field="contacts")
    return result.count


async def change_states(
    session: AsyncSession,
    *,
    sequence_id: uuid.UUID,
    contact_ids: list[uuid.UUID],
    to: str,
    now: datetime,
    until: datetime | None = None,
    reason: str = "manual",
) -> int:
    """Pause (``to="paused"``), resume (``"active"``) or finish (``"finished"``) contacts
    of the sequence; how many changed (``enrolments.states``)."""
    sequence = await enrolments.live_sequence(session, sequence_id=sequence_id)
    if to == "paused":
        return await states.pause(
            session, sequence=sequence, contact_ids=contact_ids, until=until, now=now
        )
    if to == "active":
        return await states.resume(session, sequence=sequence, contact_ids=contact_ids, now=now)
    return await states.finish(
        session, sequence=sequence, contact_ids=contact_ids, reason=reason, now=now
    )


async def remove_contacts(
    session: AsyncSession, *, sequence_id: uuid.UUID, contact_ids: list[uuid.UUID]
) -> int:
    """The remove operation: how many active rows were soft-deleted."""
    sequence = await enrolments.live_sequence(session, sequence_id=sequence_id)
    return await enrolments.withdraw(session, sequence=sequence, contact_ids=contact_ids)


def _check_members(assigned_to_ids: list[uuid.UUID], members: dict) -> None:
    """Every id a member of the workspace; the first one that is not is named by its
    position in the list as sent, duplicates included."""
    for index, member_id in enumerate(assigned_to_ids):
        if member_id not in members:
            raise ValidationFailed(
                "not a member of the sequence's workspace", at=("assigned_to_ids", index)
            )


async def _views(session: AsyncSession, sequences: list[Sequence]) -> list[SequenceView]:
    """Assignees and active counts of several sequences, in one statement."""
    assignees = await enrolments.assignees_of(session, sequences=sequences)
    return [
        SequenceView(s, assignees[s.id].current, assignees[s.id].contact_count) for s in sequences
    ]
