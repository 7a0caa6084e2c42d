"""/v1/sequences: the four Skipcall operations and the CRUD around them."""

from typing import Annotated

from fastapi import APIRouter, Query, Response

from relance.api import batches
from relance.api.deps import Now, TenantSession, path_id
from relance.api.json_body import StrictJsonRoute
from relance.api.schemas import Page, PageQuery
from relance.api.v1 import shaping
from relance.api.v1.policy_schemas import CallingWindowDto
from relance.api.v1.queue_schemas import (
    FinishContactsDto,
    FinishedDto,
    PauseContactsDto,
    PausedDto,
    ResumedDto,
)
from relance.api.v1.responses import errors
from relance.api.v1.schemas import (
    AddedDto,
    ContactAssignmentBatchDto,
    ContactsBatchDto,
    CreateSequenceDto,
    ListSequenceContactsQuery,
    PaginatedSequenceContactsDto,
    RemovedDto,
    SequenceDto,
    UpdateSequenceDto,
)
from relance.calling_windows import CallingWindow
from relance.enrolments.service import EnrolmentRequest
from relance.sequences import listing, service
from relance.unset import Unset

router = APIRouter(prefix="/v1/sequences", tags=["Sequences"], route_class=StrictJsonRoute)

ADD_DESCRIPTION = (
    "Adds contacts to an existing sequence. Each item may optionally specify an "
    "`assignedToWorkspaceMembershipId` (a workspace membership id obtained via "
    "`GET /v1/workspaces/:id/members`). Items without `assignedToWorkspaceMembershipId` are "
    "auto-assigned via round-robin among the sequence assignees (least loaded first). "
    "Idempotent: duplicates, contacts already in the sequence, and contacts outside the "
    "sequence scope are silently ignored. Soft-deleted sequence-contacts are resurrected "
    "(their original assignee is preserved; an `assignedToWorkspaceMembershipId` in the body "
    "is ignored for resurrected rows). Returns 404 if the sequence is outside the API key scope."
)


@router.post(
    "",
    status_code=201,
    operation_id="SequenceController_create",
    summary="Create a sequence",
    responses=errors(400),
)
async def create_sequence(body: CreateSequenceDto, session: TenantSession) -> SequenceDto:
    """Creates a new sequence. Use the /users endpoint to get organizationMembershipIds for
    assignedToIds and creatorId."""
    assignees = batches.read(body.assigned_to_ids, field="assigned_to_ids")
    with batches.first_invalid_item_wins(assignees):
        view = await service.create(
            session,
            name=body.name,
            creator_id=body.creator_id,
            assigned_to_ids=assignees.valid,
            contact_ids=body.contact_ids,
            workspace_id=body.workspace_id,
            is_continuous=body.is_continuous,
            filter=body.filter,
            calling_window=None if body.calling_window is None else body.calling_window.window(),
            max_attempts=body.max_attempts,
            retry_after_minutes=body.retry_after_minutes,
        )
    return shaping.sequence(view)


@router.get("", summary="List sequences", responses=errors(400))
async def list_sequences(
    query: Annotated[PageQuery, Query()], session: TenantSession
) -> Page[SequenceDto]:
    total, views = await service.page(session, offset=query.offset, limit=query.limit)
    return Page[SequenceDto].of([shaping.sequence(v) for v in views], total=total, query=query)


@router.get("/{id}", summary="Get a sequence", responses=errors(404))
async def get_sequence(id: str, session: TenantSession) -> SequenceDto:
    view = await service.get(session, sequence_id=path_id(id, "Sequence"))
    return shaping.sequence(view)


@router.patch("/{id}", summary="Update a sequence", responses=errors(400, 404))
async def update_sequence(id: str, body: UpdateSequenceDto, session: TenantSession) -> SequenceDto:
    assignees = batches.read(body.sent("assigned_to_ids"), field="assigned_to_ids")
    with batches.first_invalid_item_wins(assignees):
        view = await service.update(
            session,
            sequence_id=path_id(id, "Sequence"),
            name=body.sent("name"),
            assigned_to_ids=assignees.valid,
            is_continuous=body.sent("is_continuous"),
            filter=body.sent("filter"),
            calling_window=_window(body.sent("calling_window")),
            max_attempts=body.sent("max_attempts"),
            retry_after_minutes=body.sent("retry_after_minutes"),
        )
    return shaping.sequence(view)


@router.delete("/{id}", status_code=204, summary="Delete a sequence", responses=errors(404))
async def delete_sequence(id: str, session: TenantSession) -> Response:
    await service.delete(session, sequence_id=path_id(id, "Sequence"))
    return Response(status_code=204)


@router.post(
    "/{id}/contacts",
    status_code=201,
    operation_id="SequenceController_addContacts",
    summary="Add contacts to a sequence",
    description=ADD_DESCRIPTION,
    responses=errors(400, 404),
)
async def add_contacts(
    id: str, body: ContactAssignmentBatchDto, session: TenantSession
) -> AddedDto:
    batch = batches.read(body.contacts, field="contacts")
    with batches.first_invalid_item_wins(batch):
        added = await service.add_contacts(
            session,
            sequence_id=path_id(id, "Sequence"),
            requests=[
                EnrolmentRequest(c.contact_id, c.assigned_to_workspace_membership_id)
                for c in batch.valid
            ],
        )
    return AddedDto(added=added)


@router.get(
    "/{id}/contacts",
    operation_id="SequenceController_listContacts",
    summary="List contacts of a sequence",
    response_model=PaginatedSequenceContactsDto,
    responses=errors(400, 404),
)
async def list_contacts(
    id: str,
    query: Annotated[ListSequenceContactsQuery, Query()],
    session: TenantSession,
    now: Now,
) -> Response:
    """Returns a paginated list of contacts in a sequence, enriched with their tags and call
    history within the sequence. Returns 404 if the parent sequence is in a workspace outside
    the API key scope."""
    total, items = await listing.list_contacts(
        session,
        sequence_id=path_id(id, "Sequence"),
        offset=query.offset,
        limit=query.limit,
        status=query.status,
        tag=query.tag,
        state=query.state,
        now=now,
    )
    # The database wrote the items' JSON; the response model documents the same JSON.
    body = shaping.contacts_page(items, total=total, query=query)
    return Response(body, media_type="application/json")


@router.delete(
    "/{id}/contacts",
    operation_id="SequenceController_removeContacts",
    summary="Remove contacts from a sequence",
    responses=errors(400, 404),
)
async def remove_contacts(id: str, body: ContactsBatchDto, session: TenantSession) -> RemovedDto:
    """Removes contacts from an existing sequence (soft-delete). Idempotent: contacts not in
    the sequence are silently ignored. Returns 404 if the sequence is outside the API key scope."""
    removed = await service.remove_contacts(
        session, sequence_id=path_id(id, "Sequence"), contact_ids=body.contact_ids
    )
    return RemovedDto(removed=removed)


def _window(sent: CallingWindowDto | None | Unset) -> CallingWindow | None | Unset:
    return sent if sent is None or isinstance(sent, Unset) else sent.window()


@router.post(
    "/{id}/contacts/pause", summary="Pause contacts of a sequence", responses=errors(400, 404)
)
async def pause_contacts(
    id: str, body: PauseContactsDto, session: TenantSession, now: Now
) -> PausedDto:
    """Relance extension. Pauses the active contacts among `contactIds`, until `until` (from
    then on they count as active again, with no call needed) or until resumed. Contacts not
    active in the sequence (paused, finished, removed, unknown) and duplicates are ignored."""
    paused = await service.change_states(
        session,
        sequence_id=path_id(id, "Sequence"),
        contact_ids=body.contact_ids,
        to="paused",
        until=body.until,
        now=now,
    )
    return PausedDto(paused=paused)


@router.post(
    "/{id}/contacts/resume", summary="Resume contacts of a sequence", responses=errors(400, 404)
)
async def resume_contacts(
    id: str, body: ContactsBatchDto, session: TenantSession, now: Now
) -> ResumedDto:
    """Relance extension. Makes the paused contacts among `contactIds` active; others are
    ignored."""
    resumed = await service.change_states(
        session,
        sequence_id=path_id(id, "Sequence"),
        contact_ids=body.contact_ids,
        to="active",
        now=now,
    )
    return ResumedDto(resumed=resumed)


@router.post(
    "/{id}/contacts/finish", summary="Finish contacts of a sequence", responses=errors(400, 404)
)
async def finish_contacts(
    id: str, body: FinishContactsDto, session: TenantSession, now: Now
) -> FinishedDto:
    """Relance extension. Finishes the active and paused contacts among `contactIds`, with
    `reason` as their exitReason (default `manual`); finished and removed ones are ignored."""
    finished = await service.change_states(
        session,
        sequence_id=path_id(id, "Sequence"),
        contact_ids=body.contact_ids,
        to="finished",
        reason=body.reason,
        now=now,
    )
    return FinishedDto(finished=finished)
