"""Tags: a workspace's catalogue of outcome labels, and the tags of contacts in sequences."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from relance.db.models import SequenceContact, Tag
from relance.db.types import utcnow
from relance.enrolments import service as enrolments
from relance.errors import Conflict, NotFound, ValidationFailed
from relance.tags import repository
from relance.tags.repository import label_key
from relance.tenancy.scope import scope_of
from relance.tenancy.workspaces import known_workspace, resolve_workspace
from relance.unset import UNSET, Maybe

# A contact carries at most this many tags in a sequence, whatever the number of requests
# that gave them: the list's items stay bounded (README, "Bounds").
MAX_TAGS_PER_CONTACT = 50


async def create(
    session: AsyncSession, *, label: str, is_success_tag: bool, workspace_id: uuid.UUID | None
) -> Tag:
    """Add a tag; a label already taken in the workspace (ignoring case) is a conflict."""
    workspace_id = resolve_workspace(scope_of(session), workspace_id)
    await _ensure_free(session, workspace_id=workspace_id, label=label)
    now = utcnow()
    tag = Tag(
        workspace_id=workspace_id,
        label=label,
        label_key=label_key(label),
        is_success_tag=is_success_tag,
        created_at=now,
        updated_at=now,
    )
    session.add(tag)
    await session.flush()
    return tag


async def get(session: AsyncSession, *, tag_id: uuid.UUID) -> Tag:
    """One tag; 404 when unknown or out of scope."""
    tag = await repository.get(session, tag_id)
    if tag is None:
        raise NotFound("Tag not found")
    return tag


async def page(
    session: AsyncSession, *, workspace_id: uuid.UUID | None, offset: int, limit: int
) -> tuple[int, list[Tag]]:
    """The tags the key can see, optionally of one workspace it can reach."""
    if workspace_id is not None:
        known_workspace(scope_of(session), workspace_id)
    return await repository.page(session, workspace_id=workspace_id, offset=offset, limit=limit)


async def update(
    session: AsyncSession,
    *,
    tag_id: uuid.UUID,
    label: Maybe[str] = UNSET,
    is_success_tag: Maybe[bool] = UNSET,
) -> Tag:
    """Rename or re-flag a tag; renaming onto a label taken by another tag is a conflict."""
    tag = await repository.get(session, tag_id, for_update=True)
    if tag is None:
        raise NotFound("Tag not found")
    if label is not UNSET:
        if label_key(label) != tag.label_key:
            await _ensure_free(session, workspace_id=tag.workspace_id, label=label)
        tag.label, tag.label_key = label, label_key(label)
    if is_success_tag is not UNSET:
        tag.is_success_tag = is_success_tag
    tag.updated_at = utcnow()
    await session.flush()
    return tag


async def delete(session: AsyncSession, *, tag_id: uuid.UUID) -> None:
    """Delete a tag and take it off every contact that carries it."""
    tag = await get(session, tag_id=tag_id)
    await repository.delete_tag(session, tag.id)


async def set_contact_tags(
    session: AsyncSession,
    *,
    sequence_id: uuid.UUID,
    contact_id: uuid.UUID,
    tag_ids: list[uuid.UUID],
    replace: bool,
) -> list[Tag]:
    """Replace (PUT) or extend (POST) a sequence contact's tags; returns its tags after.

    Every id must be a tag of the sequence's workspace: an unknown or foreign one is a 400
    naming it, and nothing changes; so is ending with more than ``MAX_TAGS_PER_CONTACT``.
    The enrolment is held exclusively, so that two requests cannot both pass the cap.
    """
    enrolment = await _active_enrolment(
        session, sequence_id=sequence_id, contact_id=contact_id, exclusive=True
    )
    wanted = list(dict.fromkeys(tag_ids))
    known = await repository.in_workspace(
        session, workspace_id=enrolment.workspace_id, tag_ids=wanted
    )
    for index, tag_id in enumerate(tag_ids):
        if tag_id not in known:
            raise ValidationFailed(f"unknown tag {tag_id}", at=("tag_ids", index))
    removed = (
        await repository.detach(session, enrolment_id=enrolment.id, keep=wanted) if replace else []
    )
    added = await repository.attach(session, enrolment=enrolment, tag_ids=wanted)
    tags = (await repository.tags_of(session, [enrolment.id])).get(enrolment.id, [])
    if len(tags) > MAX_TAGS_PER_CONTACT:
        raise ValidationFailed(
            f"a contact carries at most {MAX_TAGS_PER_CONTACT} tags in a sequence "
            f"({len(tags)} with these)",
            at=("tag_ids",),
        )
    await enrolments.count_tags(session, enrolment=enrolment, added=added, removed=removed)
    return tags


async def remove_contact_tag(
    session: AsyncSession,
    *,
    sequence_id: uuid.UUID,
    contact_id: uuid.UUID,
    tag_id: str,
) -> None:
    """Take one tag off a sequence contact; a tag that was not there is no error, and an id
    that is not a UUID names no tag, so it was not there either."""
    enrolment = await _active_enrolment(session, sequence_id=sequence_id, contact_id=contact_id)
    try:
        tag = uuid.UUID(tag_id)
    except ValueError:
        return
    removed = await repository.detach(session, enrolment_id=enrolment.id, only=[tag])
    await enrolments.count_tags(session, enrolment=enrolment, added=[], removed=removed)


async def _active_enrolment(
    session: AsyncSession, *, sequence_id: uuid.UUID, contact_id: uuid.UUID, exclusive: bool = False
) -> SequenceContact:
    _, enrolment = await enrolments.active_enrolment(
        session, sequence_id=sequence_id, contact_id=contact_id, share=True, exclusive=exclusive
    )
    if enrolment is None:
        raise NotFound("Contact not found in this sequence")
    return enrolment


async def _ensure_free(session: AsyncSession, *, workspace_id: uuid.UUID, label: str) -> None:
    if await repository.find_by_label(session, workspace_id=workspace_id, label=label) is not None:
        raise Conflict(f"A tag labelled {label!r} already exists in this workspace")
