"""Domain results to /admin/v1 DTOs."""

from relance.api.admin.schemas import (
    ApiKeyDto,
    MemberDto,
    OrganizationDto,
    WorkspaceDto,
    WorkspaceMembershipDto,
    WorkspaceMembershipRefDto,
)
from relance.db.models import Organization, Workspace, WorkspaceMembership
from relance.tenancy.service import NewApiKey, NewMember


def organization(organization: Organization) -> OrganizationDto:
    return OrganizationDto.model_validate(organization, from_attributes=True)


def workspace(workspace: Workspace) -> WorkspaceDto:
    return WorkspaceDto.model_validate(workspace, from_attributes=True)


def member(new: NewMember) -> MemberDto:
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


def workspace_membership(membership: WorkspaceMembership) -> WorkspaceMembershipDto:
    return WorkspaceMembershipDto.model_validate(membership, from_attributes=True)


def api_key(new: NewApiKey) -> ApiKeyDto:
    k = new.api_key
    return ApiKeyDto(
        id=k.id,
        name=k.name,
        key=new.clear_key,
        mode=k.mode,
        workspace_ids=k.workspace_ids,
        created_at=k.created_at,
    )
