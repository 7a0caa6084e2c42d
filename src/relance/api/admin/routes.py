"""/admin/v1: provisioning for the operator, enabled by RELANCE_ADMIN_TOKEN."""

from fastapi import APIRouter, Response

from relance.api import batches
from relance.api.admin.schemas import (
    AddWorkspaceMemberDto,
    ApiKeyDto,
    CreateApiKeyDto,
    CreateMemberDto,
    CreateOrganizationDto,
    CreateWorkspaceDto,
    MemberDto,
    OrganizationDto,
    UpdateOrganizationDto,
    WorkspaceDto,
    WorkspaceMembershipDto,
    WorkspaceMembershipRefDto,
)
from relance.api.deps import AdminSession, path_id
from relance.db.models import Organization
from relance.tenancy import service
from relance.tenancy.service import NewApiKey, NewMember

router = APIRouter(prefix="/admin/v1", tags=["Admin"])


def organization_dto(organization: Organization) -> OrganizationDto:
    return OrganizationDto.model_validate(organization, from_attributes=True)


def member_dto(new: NewMember) -> MemberDto:
    m = new.membership
    return MemberDto(
        organization_membership_id=m.id,
        email=m.email,
        first_name=m.first_name,
        last_name=m.last_name,
        workspace_memberships=[
            WorkspaceMembershipRefDto(id=w.id, workspace_id=w.workspace_id)
            for w in new.workspace_memberships
        ],
    )


def api_key_dto(new: NewApiKey) -> ApiKeyDto:
    k = new.api_key
    return ApiKeyDto(
        id=k.id,
        name=k.name,
        key=new.clear_key,
        mode=k.mode,
        workspace_ids=k.workspace_ids,
        created_at=k.created_at,
    )


@router.post("/organizations", status_code=201)
async def create_organization(
    body: CreateOrganizationDto, session: AdminSession
) -> OrganizationDto:
    organization = await service.create_organization(
        session, name=body.name, plan=body.plan, subscription_status=body.subscription_status
    )
    return organization_dto(organization)


@router.patch("/organizations/{id}")
async def update_organization(
    id: str, body: UpdateOrganizationDto, session: AdminSession
) -> OrganizationDto:
    organization = await service.update_organization(
        session,
        organization_id=path_id(id, "Organization"),
        plan=body.plan,
        subscription_status=body.subscription_status,
    )
    return organization_dto(organization)


@router.post("/organizations/{id}/workspaces", status_code=201)
async def create_workspace(
    id: str, body: CreateWorkspaceDto, session: AdminSession
) -> WorkspaceDto:
    workspace = await service.create_workspace(
        session, organization_id=path_id(id, "Organization"), name=body.name
    )
    return WorkspaceDto.model_validate(workspace, from_attributes=True)


@router.post("/organizations/{id}/members", status_code=201)
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
    return member_dto(new)


@router.post("/workspaces/{id}/members", status_code=201)
async def add_workspace_member(
    id: str, body: AddWorkspaceMemberDto, session: AdminSession
) -> WorkspaceMembershipDto:
    membership = await service.add_workspace_member(
        session,
        workspace_id=path_id(id, "Workspace"),
        organization_membership_id=body.organization_membership_id,
    )
    return WorkspaceMembershipDto.model_validate(membership, from_attributes=True)


@router.post("/organizations/{id}/api-keys", status_code=201)
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
    return api_key_dto(new)


@router.delete("/api-keys/{id}", status_code=204)
async def revoke_api_key(id: str, session: AdminSession) -> Response:
    await service.revoke_api_key(session, api_key_id=path_id(id, "API key"))
    return Response(status_code=204)
