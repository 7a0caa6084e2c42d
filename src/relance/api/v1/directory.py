"""/v1/users and /v1/workspaces: who can be a creator or an assignee, and where."""

from typing import Annotated

from fastapi import APIRouter, Query

from relance.api.deps import TenantSession, path_id
from relance.api.json_body import StrictJsonRoute
from relance.api.schemas import Page, PageQuery
from relance.api.v1 import shaping
from relance.api.v1.directory_schemas import UserDto, WorkspaceDto, WorkspaceMemberDto
from relance.api.v1.responses import errors
from relance.directory import service

router = APIRouter(prefix="/v1", route_class=StrictJsonRoute)


@router.get("/users", tags=["Users"], summary="List users", responses=errors(400))
async def list_users(query: Annotated[PageQuery, Query()], session: TenantSession) -> Page[UserDto]:
    """The organization's members; their organizationMembershipId is what sequences take."""
    total, members = await service.users(session, offset=query.offset, limit=query.limit)
    return Page[UserDto].of([shaping.user(m) for m in members], total=total, query=query)


@router.get("/workspaces", tags=["Workspaces"], summary="List workspaces", responses=errors(400))
async def list_workspaces(
    query: Annotated[PageQuery, Query()], session: TenantSession
) -> Page[WorkspaceDto]:
    total, workspaces = await service.workspaces(session, offset=query.offset, limit=query.limit)
    items = [shaping.workspace(w) for w in workspaces]
    return Page[WorkspaceDto].of(items, total=total, query=query)


@router.get(
    "/workspaces/{id}/members",
    tags=["Workspaces"],
    summary="List the members of a workspace",
    responses=errors(400, 404),
)
async def list_workspace_members(
    id: str, query: Annotated[PageQuery, Query()], session: TenantSession
) -> Page[WorkspaceMemberDto]:
    """``id`` of each item is the workspace membership id that assignments take."""
    total, rows = await service.workspace_members(
        session, workspace_id=path_id(id, "Workspace"), offset=query.offset, limit=query.limit
    )
    items = [shaping.workspace_member(wm, m) for wm, m in rows]
    return Page[WorkspaceMemberDto].of(items, total=total, query=query)
