"""/v1/tags and the tags of a contact in a sequence."""

from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlalchemy.ext.asyncio import AsyncSession

from relance.api import batches
from relance.api.deps import TenantSession, path_id
from relance.api.json_body import StrictJsonRoute
from relance.api.schemas import Page
from relance.api.v1 import shaping
from relance.api.v1.responses import errors
from relance.api.v1.schemas import (
    ContactTagsDto,
    CreateTagDto,
    ListTagsQuery,
    TagDto,
    TagIdsDto,
    UpdateTagDto,
)
from relance.tags import service

router = APIRouter(prefix="/v1", tags=["Tags"], route_class=StrictJsonRoute)


@router.post("/tags", status_code=201, summary="Create a tag", responses=errors(400, 409))
async def create_tag(body: CreateTagDto, session: TenantSession) -> TagDto:
    """Labels are unique in a workspace, compared ignoring case (Unicode case folding)."""
    tag = await service.create(
        session,
        label=body.label,
        is_success_tag=body.is_success_tag,
        workspace_id=body.workspace_id,
    )
    return shaping.tag(tag)


@router.get("/tags", summary="List tags", responses=errors(400))
async def list_tags(
    query: Annotated[ListTagsQuery, Query()], session: TenantSession
) -> Page[TagDto]:
    total, tags = await service.page(
        session, workspace_id=query.workspace_id, offset=query.offset, limit=query.limit
    )
    return Page[TagDto].of([shaping.tag(t) for t in tags], total=total, query=query)


@router.get("/tags/{id}", summary="Get a tag", responses=errors(404))
async def get_tag(id: str, session: TenantSession) -> TagDto:
    return shaping.tag(await service.get(session, tag_id=path_id(id, "Tag")))


@router.patch("/tags/{id}", summary="Update a tag", responses=errors(400, 404, 409))
async def update_tag(id: str, body: UpdateTagDto, session: TenantSession) -> TagDto:
    tag = await service.update(
        session,
        tag_id=path_id(id, "Tag"),
        label=body.sent("label"),
        is_success_tag=body.sent("is_success_tag"),
    )
    return shaping.tag(tag)


@router.delete("/tags/{id}", status_code=204, summary="Delete a tag", responses=errors(404))
async def delete_tag(id: str, session: TenantSession) -> Response:
    """Deletes the tag and takes it off every contact that carries it."""
    await service.delete(session, tag_id=path_id(id, "Tag"))
    return Response(status_code=204)


async def _set_tags(
    id: str, contact_id: str, body: TagIdsDto, session: AsyncSession, *, replace: bool
) -> ContactTagsDto:
    batch = batches.read(body.tag_ids, field="tag_ids")
    with batches.first_invalid_item_wins(batch):
        tags = await service.set_contact_tags(
            session,
            sequence_id=path_id(id, "Sequence"),
            contact_id=path_id(contact_id, "Contact"),
            tag_ids=batch.valid,
            replace=replace,
        )
    return ContactTagsDto(data=[shaping.tag_of_contact(t) for t in tags])


@router.put(
    "/sequences/{id}/contacts/{contactId}/tags",
    summary="Replace the tags of a contact in a sequence",
    responses=errors(400, 404),
)
async def replace_contact_tags(
    id: str,
    contactId: str,  # noqa: N803
    body: TagIdsDto,
    session: TenantSession,
) -> ContactTagsDto:
    """An unknown tag id, or one of another workspace, is a 400 naming it; nothing changes."""
    return await _set_tags(id, contactId, body, session, replace=True)


@router.post(
    "/sequences/{id}/contacts/{contactId}/tags",
    summary="Add tags to a contact in a sequence",
    responses=errors(400, 404),
)
async def add_contact_tags(
    id: str,
    contactId: str,  # noqa: N803
    body: TagIdsDto,
    session: TenantSession,
) -> ContactTagsDto:
    """A tag already there stays once."""
    return await _set_tags(id, contactId, body, session, replace=False)


@router.delete(
    "/sequences/{id}/contacts/{contactId}/tags/{tagId}",
    status_code=204,
    summary="Remove a tag from a contact in a sequence",
    responses=errors(404),
)
async def remove_contact_tag(
    id: str,
    contactId: str,
    tagId: str,
    session: TenantSession,  # noqa: N803
) -> Response:
    """204 also when the tag was not there."""
    await service.remove_contact_tag(
        session,
        sequence_id=path_id(id, "Sequence"),
        contact_id=path_id(contactId, "Contact"),
        tag_id=tagId,
    )
    return Response(status_code=204)
