"""/v1/do-not-call: the organization's do-not-call list (a Relance extension)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from relance.api.deps import TenantSession, get_settings
from relance.api.json_body import StrictJsonRoute
from relance.api.schemas import Page
from relance.api.v1.queue_schemas import AddDoNotCallDto, DoNotCallDto, ListDoNotCallQuery
from relance.api.v1.responses import errors
from relance.api.v1.schemas import AddedDto
from relance.contacts import do_not_call as service
from relance.settings import Settings

router = APIRouter(prefix="/v1/do-not-call", tags=["Do not call"], route_class=StrictJsonRoute)

SettingsDep = Annotated[Settings, Depends(get_settings)]


@router.post(
    "", status_code=201, summary="Add numbers to the do-not-call list", responses=errors(400)
)
async def add_do_not_call(
    body: AddDoNotCallDto, session: TenantSession, settings: SettingsDep
) -> AddedDto:
    """Numbers of the whole organization that the queue never offers and that no call is
    placed to (POST /v1/calls in a status before CONNECTED is 409 DO_NOT_CALL). `added`
    counts the numbers not listed yet; an invalid one is a 400 naming it, nothing added."""
    added = await service.add(
        session, numbers=body.numbers, reason=body.reason, default_region=settings.default_region
    )
    return AddedDto(added=added)


@router.get("", summary="List the do-not-call list", responses=errors(400))
async def list_do_not_call(
    query: Annotated[ListDoNotCallQuery, Query()], session: TenantSession, settings: SettingsDep
) -> Page[DoNotCallDto]:
    """Newest first; `number` narrows the page to that number."""
    total, rows = await service.page(
        session,
        number=query.number,
        default_region=settings.default_region,
        offset=query.offset,
        limit=query.limit,
    )
    return Page[DoNotCallDto].of(
        [DoNotCallDto(number=r.number, reason=r.reason, created_at=r.created_at) for r in rows],
        total=total,
        query=query,
    )


@router.delete(
    "/{number}",
    status_code=204,
    summary="Take a number off the do-not-call list",
    responses=errors(400, 404),
)
async def remove_do_not_call(
    number: str, session: TenantSession, settings: SettingsDep
) -> Response:
    """404 when the number is not on the list."""
    await service.remove(session, number=number, default_region=settings.default_region)
    return Response(status_code=204)
