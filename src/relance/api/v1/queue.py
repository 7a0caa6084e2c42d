"""/v1/sequences/{id}/next: the rep's next call (a Relance extension)."""

from fastapi import APIRouter, Response

from relance.api.deps import Now, TenantSession, path_id
from relance.api.json_body import StrictJsonRoute
from relance.api.v1 import shaping
from relance.api.v1.queue_schemas import NextCallDto, NextCallRequestDto, SequenceStatsDto
from relance.api.v1.responses import errors
from relance.calls import queue
from relance.sequences import stats

router = APIRouter(prefix="/v1/sequences", tags=["Queue"], route_class=StrictJsonRoute)


NEXT_DESCRIPTION = (
    "Relance extension. Picks the rep's next callable contact and creates a QUEUED call to "
    "it for the rep, which claims it: two requests at once never get the same contact. "
    "Callable: assigned to the rep, active (a pause whose time has come counts), fewer "
    "attempts than maxAttempts, last attempted retryAfterMinutes ago or more, no call under "
    "way, and a number off the do-not-call list whose zones are all inside the calling "
    "window now. Never-called contacts first, in enrolment order; then the oldest last "
    "attempt. 204 when nobody is callable now, with Retry-After (seconds) when Relance knows "
    "when someone will be: a pause ending, a retry delay ending, the window opening."
)


@router.post(
    "/{id}/next",
    status_code=201,
    summary="Claim the rep's next call",
    description=NEXT_DESCRIPTION,
    response_model=NextCallDto,
    responses={
        204: {"description": "Nobody is callable now (Retry-After when known)"},
        **errors(400, 404),
    },
)
async def next_call(
    id: str, body: NextCallRequestDto, session: TenantSession, now: Now
) -> NextCallDto | Response:
    result = await queue.next_call(
        session,
        sequence_id=path_id(id, "Sequence"),
        workspace_membership_id=body.workspace_membership_id,
        now=now,
    )
    if isinstance(result, queue.NobodyCallable):
        headers = {}
        if result.retry_after_seconds is not None:
            headers["Retry-After"] = str(result.retry_after_seconds)
        return Response(status_code=204, headers=headers)
    return shaping.next_call(result)


@router.get("/{id}/stats", summary="A sequence's stats", responses=errors(404))
async def sequence_stats(id: str, session: TenantSession, now: Now) -> SequenceStatsDto:
    """Relance extension. Counts by status, by state, per rep (load, states, attempts,
    attempts today, connected), the attempts and the connection rate: from maintained
    counts and two aggregate statements, whatever the sequence's size."""
    result = await stats.stats(session, sequence_id=path_id(id, "Sequence"), now=now)
    return shaping.sequence_stats(result)
