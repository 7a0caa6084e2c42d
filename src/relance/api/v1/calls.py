"""/v1/calls: call history and recordings (the Skipcall docs' "Calls" tag)."""

from typing import Annotated

from fastapi import APIRouter, Query

from relance.api.deps import Now, TenantSession, path_id
from relance.api.json_body import StrictJsonRoute
from relance.api.schemas import Page
from relance.api.v1 import shaping
from relance.api.v1.responses import errors
from relance.api.v1.schemas import CallDto, CreateCallDto, ListCallsQuery, UpdateCallDto
from relance.calls import service
from relance.calls.repository import CallFilters

router = APIRouter(prefix="/v1/calls", tags=["Calls"], route_class=StrictJsonRoute)


@router.post("", status_code=201, summary="Record a call", responses=errors(400, 404, 409))
async def create_call(body: CreateCallDto, session: TenantSession, now: Now) -> CallDto:
    """A call may be created in any status, with its times, so that a history can be
    imported; times not sent are stamped as if the call had moved there now.
    ``durationSeconds`` is computed, never sent. Relance extension: a call placed (a status
    before CONNECTED) is 409 DO_NOT_CALL when its number is on the do-not-call list, 409
    OUTSIDE_CALLING_WINDOW when the sequence's calling window is closed in the number's
    zones, 409 MAX_ATTEMPTS_REACHED when the contact has had the sequence's maxAttempts."""
    call = await service.create(session, **body.model_dump(exclude_unset=True), now=now)
    return shaping.call(call)


@router.get("", summary="List calls", responses=errors(400))
async def list_calls(
    query: Annotated[ListCallsQuery, Query()], session: TenantSession
) -> Page[CallDto]:
    """Newest first. ``createdAtFrom`` is inclusive, ``createdAtTo`` exclusive, both compared
    at the millisecond, the precision the API shows."""
    filters = CallFilters(
        sequence_id=query.sequence_id,
        contact_id=query.contact_id,
        workspace_membership_id=query.workspace_membership_id,
        status=query.status,
        created_from=query.created_at_from,
        created_to=query.created_at_to,
    )
    total, calls = await service.page(
        session, filters=filters, offset=query.offset, limit=query.limit
    )
    return Page[CallDto].of([shaping.call(c) for c in calls], total=total, query=query)


@router.get("/{id}", summary="Get a call", responses=errors(404))
async def get_call(id: str, session: TenantSession) -> CallDto:
    return shaping.call(await service.get(session, call_id=path_id(id, "Call")))


@router.patch("/{id}", summary="Move a call through its life", responses=errors(400, 404, 409))
async def update_call(id: str, body: UpdateCallDto, session: TenantSession, now: Now) -> CallDto:
    """Statuses only move forward (skips allowed); the same status again is a no-op; a move
    backwards or out of an end state is 409 INVALID_TRANSITION. The recording and the
    times may still change after the end."""
    call = await service.update(
        session,
        call_id=path_id(id, "Call"),
        status=body.sent("status"),
        started_at=body.sent("started_at"),
        ended_at=body.sent("ended_at"),
        recording_url=body.sent("recording_url"),
        now=now,
    )
    return shaping.call(call)
