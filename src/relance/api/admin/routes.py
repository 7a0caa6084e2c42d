"""/admin/v1: provisioning for the operator, enabled by RELANCE_ADMIN_TOKEN."""

from fastapi import APIRouter, Response

from relance.api import batches
from relance.api.admin import shaping
from relance.api.admin.schemas import (
    AddWorkspaceMemberDto,
    AdminWorkspaceDto,
    ApiKeyDto,
    CreateApiKeyDto,
    CreateMemberDto,
    CreateOrganizationDto,
    CreateWorkspaceDto,
    MemberDto,
    OrganizationDto,
    UpdateOrganizationDto,
    WorkspaceMembershipDto,
)
from relance.api.deps import AdminSession, path_id
from relance.api.json_body import StrictJsonRoute
from relance.api.responses import error_responses
from relance.api.v1.schemas import ErrorDto
from relance.tenancy import service

router = APIRouter(prefix="/admin/v1", tags=["Admin"], route_class=StrictJsonRoute)


def errors(*statuses: int) -> dict[int | str, dict]:
    """Every admin path checks the token (401) and is 404 while RELANCE_ADMIN_TOKEN is unset."""
    return error_responses(ErrorDto, 401, 404, *statuses)


@router.post("/organizations", status_code=201, responses=errors(400))
async def create_organization(
    body: CreateOrganizationDto, session: AdminSession
) -> OrganizationDto:
    organization = await service.create_organization(
        session, name=body.name, plan=body.plan, subscription_status=body.subscription_status
    )
    return shaping.organization(organization)


@router.patch("/organizations/{id}", responses=errors(400))
async def update_organization(
    id: str, body: UpdateOrganizationDto, session: AdminSession
) -> OrganizationDto:
    organization = await service.update_organization(
        session,
        organization_id=path_id(id, "Organization"),
        plan=body.plan,
        subscription_status=body.subscription_status,
    )
    return shaping.organization(organization)


@router.post("/organizations/{id}/workspaces", status_code=201, responses=errors(400))
async def create_workspace(
    id: str, body: CreateWorkspaceDto, session: AdminSession
) -> AdminWorkspaceDto:
    workspace = await service.create_workspace(
        session, organization_id=path_id(id, "Organization"), name=body.name
    )
    return shaping.workspace(workspace)


@router.post("/organizations/{id}/members", status_code=201, responses=errors(400, 409))
async def create_member(id: str, body: CreateMemberDto, session: AdminSession) -> MemberDto:
    workspaces = batches.read(body.workspace_ids, field="workspace_ids")
    with batches.first_invalid_item_wins(workspaces):
        new = await service.create_member(
            session,
            organization_id=path_id(id, "Organization"),
            email=body.email,
            first_name=body.first_name,
            last_name=body.last_name,
            workspace_ids=workspaces.valid,
        )
    return shaping.member(new)


@router.post("/workspaces/{id}/members", status_code=201, responses=errors(400, 409))
async def add_workspace_member(
    id: str, body: AddWorkspaceMemberDto, session: AdminSession
) -> WorkspaceMembershipDto:
    membership = await service.add_workspace_member(
        session,
        workspace_id=path_id(id, "Workspace"),
        organization_membership_id=body.organization_membership_id,
    )
    return shaping.workspace_membership(membership)


@router.post("/organizations/{id}/api-keys", status_code=201, responses=errors(400))
async def create_api_key(id: str, body: CreateApiKeyDto, session: AdminSession) -> ApiKeyDto:
    workspaces = batches.read(body.workspace_ids, field="workspace_ids")
    with batches.first_invalid_item_wins(workspaces):
        new = await service.create_api_key(
            session,
            organization_id=path_id(id, "Organization"),
            name=body.name,
            mode=body.mode,
            workspace_ids=workspaces.valid,
        )
    return shaping.api_key(new)


@router.delete("/api-keys/{id}", status_code=204, responses=errors())
async def revoke_api_key(id: str, session: AdminSession) -> Response:
    await service.revoke_api_key(session, api_key_id=path_id(id, "API key"))
    return Response(status_code=204)
