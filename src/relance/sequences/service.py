"""Sequences: create, read, update, delete, and the contacts enrolled in them."""

import math
import uuid
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from relance.calls import repository as calls_repository
from relance.contacts import repository as contacts_repository
from relance.db.models import (
    Call,
    Contact,
    OrganizationMembership,
    PhoneNumber,
    Sequence,
    SequenceContact,
    Tag,
)
from relance.db.types import utcnow
from relance.errors import NotFound, ValidationFailed
from relance.sequences import enrolment, filters, repository
from relance.sequences.enrolment import EnrolmentRequest
from relance.tags import repository as tags_repository
from relance.tenancy import repository as tenancy_repository
from relance.tenancy.scope import scope_of
from relance.tenancy.workspaces import resolve_workspace
from relance.unset import UNSET, Maybe


@dataclass(frozen=True)
class SequenceView:
    sequence: Sequence
    assignees: list[OrganizationMembership]
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
) -> SequenceView:
    """Create a sequence with its reps, and enrol ``contact_ids`` as the add operation does."""
    workspace_id = resolve_workspace(scope_of(session), workspace_id, field="workspaceId")
    members = await tenancy_repository.workspace_memberships_for(
        session,
        workspace_id=workspace_id,
        organization_membership_ids=[creator_id, *assigned_to_ids],
    )
    if creator_id not in members:
        raise ValidationFailed("creatorId: not a member of the sequence's workspace")
    _check_members(assigned_to_ids, members)
    assigned_to_ids = list(dict.fromkeys(assigned_to_ids))
    now = utcnow()
    sequence = Sequence(
        workspace_id=workspace_id,
        name=name,
        creator_membership_id=creator_id,
        is_continuous=is_continuous,
        filter=None if filter is None else filters.dump(filter),
        created_at=now,
        updated_at=now,
    )
    session.add(sequence)
    await session.flush()
    await repository.insert_reps(
        session,
        [
            _new_rep(sequence, members[member_id].id, position)
            for position, member_id in enumerate(assigned_to_ids)
        ],
    )
    if contact_ids:
        await enrolment.enrol(
            session,
            sequence=sequence,
            requests=[EnrolmentRequest(contact_id=c) for c in contact_ids],
            field="contactIds",
        )
    return (await _views(session, [sequence]))[0]


async def get(session: AsyncSession, *, sequence_id: uuid.UUID) -> SequenceView:
    """One live sequence; 404 when unknown, deleted or out of scope."""
    return (await _views(session, [await _live(session, sequence_id)]))[0]


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
) -> SequenceView:
    """Change what is given: the assignees are replaced (their contacts stay theirs; new ones
    go to the new list), a null filter clears it, a null name or assignee list leaves it."""
    sequence = await _live(session, sequence_id)
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
        assigned_to_ids = list(dict.fromkeys(assigned_to_ids))
        reps = await repository.lock_reps(session, sequence.id)
        known = {r.workspace_membership_id for r in reps}
        positions = {members[m].id: p for p, m in enumerate(assigned_to_ids)}
        await repository.insert_reps(
            session,
            [
                _new_rep(sequence, rep_id, position)
                for rep_id, position in positions.items()
                if rep_id not in known
            ],
        )
        await repository.set_reps(session, sequence_id=sequence.id, positions=positions)
    sequence.updated_at = utcnow()
    await session.flush()
    return (await _views(session, [sequence]))[0]


async def delete(session: AsyncSession, *, sequence_id: uuid.UUID) -> None:
    """Soft-delete a sequence: it answers 404 from then on."""
    sequence = await _live(session, sequence_id)
    sequence.deleted_at = sequence.updated_at = utcnow()
    await session.flush()


async def add_contacts(
    session: AsyncSession, *, sequence_id: uuid.UUID, requests: list[EnrolmentRequest]
) -> int:
    """The add operation: how many contacts were added or resurrected."""
    sequence = await _live(session, sequence_id)
    result = await enrolment.enrol(session, sequence=sequence, requests=requests, field="contacts")
    return result.count


async def remove_contacts(
    session: AsyncSession, *, sequence_id: uuid.UUID, contact_ids: list[uuid.UUID]
) -> int:
    """The remove operation: how many active rows were soft-deleted."""
    sequence = await _live(session, sequence_id)
    return await enrolment.withdraw(session, sequence=sequence, contact_ids=contact_ids)


@dataclass(frozen=True)
class EnrolledContact:
    enrolment: SequenceContact
    contact: Contact
    phone_numbers: list[PhoneNumber]
    tags: list[Tag]
    calls: list[Call]


@dataclass(frozen=True)
class EnrolledPage:
    total: int
    total_pages: int
    items: list[EnrolledContact]


async def list_contacts(
    session: AsyncSession,
    *,
    sequence_id: uuid.UUID,
    page: int,
    limit: int,
    status: str | None = None,
    tag: str | None = None,
) -> EnrolledPage:
    """The list operation: a page of active contacts, oldest enrolment first, with their
    numbers, tags and calls in this sequence (newest first), one statement each."""
    sequence = await _live(session, sequence_id)
    tag_id = None
    if tag is not None:
        found = await tags_repository.find_by_label(
            session, workspace_id=sequence.workspace_id, label=tag
        )
        if found is None:
            return EnrolledPage(total=0, total_pages=0, items=[])
        tag_id = found.id
    if status is None and tag_id is None:
        total = await repository.active_count(session, sequence.id)
    else:
        total = await repository.count_filtered(
            session, sequence_id=sequence.id, status=status, tag_id=tag_id
        )
    rows = await repository.contacts_page(
        session,
        sequence_id=sequence.id,
        status=status,
        tag_id=tag_id,
        offset=(page - 1) * limit,
        limit=limit,
    )
    contact_ids = [c.id for _, c in rows]
    numbers = await contacts_repository.phone_numbers_of(session, contact_ids)
    tags = await tags_repository.tags_of(session, [e.id for e, _ in rows])
    calls = await calls_repository.calls_of_page(
        session, sequence_id=sequence.id, contact_ids=contact_ids
    )
    return EnrolledPage(
        total=total,
        total_pages=math.ceil(total / limit),
        items=[
            EnrolledContact(e, c, numbers.get(c.id, []), tags.get(e.id, []), calls.get(c.id, []))
            for e, c in rows
        ],
    )


async def _live(session: AsyncSession, sequence_id: uuid.UUID) -> Sequence:
    sequence = await repository.get_live(session, sequence_id)
    if sequence is None:
        raise NotFound("Sequence not found")
    return sequence


def _new_rep(sequence: Sequence, workspace_membership_id: uuid.UUID, position: int) -> dict:
    return {
        "id": uuid.uuid4(),
        "sequence_id": sequence.id,
        "workspace_id": sequence.workspace_id,
        "workspace_membership_id": workspace_membership_id,
        "position": position,
        "is_assignee": True,
        "active_load": 0,
    }


def _check_members(assigned_to_ids: list[uuid.UUID], members: dict) -> None:
    """Every id a member of the workspace; the first one that is not is named by its
    position in the list as sent, duplicates included."""
    for index, member_id in enumerate(assigned_to_ids):
        if member_id not in members:
            raise ValidationFailed(
                f"assignedToIds[{index}]: not a member of the sequence's workspace",
                item=("assignedToIds", index),
            )


async def _views(session: AsyncSession, sequences: list[Sequence]) -> list[SequenceView]:
    """Assignees and active counts of several sequences, in one statement."""
    assignees: dict[uuid.UUID, list[OrganizationMembership]] = defaultdict(list)
    counts: dict[uuid.UUID, int] = defaultdict(int)
    for row in await repository.assignees_of(session, [s.id for s in sequences]):
        counts[row.sequence_id] += row.active_load
        if row.is_assignee:
            assignees[row.sequence_id].append(row.member)
    return [SequenceView(s, assignees[s.id], counts[s.id]) for s in sequences]
