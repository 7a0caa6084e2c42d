"""/opencx: OpenCX's "add contacts to a continuous sequence", and the runs it leaves."""

from typing import Annotated

from fastapi import APIRouter, Body, Depends

from relance.api.deps import TenantSession, get_settings, path_id
from relance.api.json_body import StrictJsonRoute
from relance.api.opencx import shaping
from relance.api.opencx.schemas import (
    AddContactsToSequenceInput,
    AddContactsToSequenceOutput,
    OpenCXErrorDto,
    RunDto,
)
from relance.api.responses import error_responses
from relance.opencx import service
from relance.settings import Settings

router = APIRouter(prefix="/opencx", tags=["OpenCX"], route_class=StrictJsonRoute)

_ERRORS = error_responses(OpenCXErrorDto, 400, 401, 403, 404, 429)


@router.post(
    "/sequences/{sequence_id}/contacts",
    operation_id="addContactsToSequence",
    summary="Add contacts to a continuous sequence",
    responses=_ERRORS,
)
async def add_contacts_to_sequence(
    sequence_id: str,
    body: Annotated[AddContactsToSequenceInput, Body()],
    session: TenantSession,
    settings: Annotated[Settings, Depends(get_settings)],
) -> AddContactsToSequenceOutput:
    """Add contacts to a continuous sequence (`is_continuous` property of the sequence must
    be `true`). Contacts will *not* be added to the sequence if the sequence's `filter` does
    not apply to the contact. Any contacts added will automatically be added to contacts if
    they don't already exist.

    Each item carries an `id`, an `email` or a `phone_number`; with several, `id` alone is
    used, else the email is tried first, then the number. What happened to each item is
    recorded in a run: `GET /opencx/runs/{run_id}`."""
    run = await service.add_contacts(
        session,
        sequence_id=path_id(sequence_id, "Sequence"),
        raw_items=body.contacts,
        default_region=settings.default_region,
    )
    return shaping.accepted(run)


@router.get(
    "/runs/{run_id}",
    operation_id="getRun",
    summary="What happened to each contact of a request",
    responses=_ERRORS,
)
async def get_run(run_id: str, session: TenantSession) -> RunDto:
    """A Relance addition: the outcome of every item of an accepted request, in order.
    Runs are kept RELANCE_RUN_RETENTION_DAYS days (30 by default)."""
    run = await service.get_run(session, run_id=path_id(run_id, "Run"))
    return shaping.run(run)
