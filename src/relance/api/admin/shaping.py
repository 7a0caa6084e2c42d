"""Domain results to /admin/v1 DTOs, for the admin API and the ``relance`` command alike."""

import uuid
from typing import TYPE_CHECKING

from relance.api.admin.schemas import (
    AdminWorkspaceDto,
    ApiKeyDto,
    ApiKeySummaryDto,
    DemoMemberDto,
    DemoTenantDto,
    MemberDto,
    OrganizationDto,
    PurgedIdempotencyKeysDto,
    PurgedRunsDto,
    ReencryptedDto,
    RevokedApiKeyDto,
    WorkspaceMembershipDto,
    WorkspaceMembershipRefDto,
)
from relance.db.models import ApiKey, Organization, Workspace, WorkspaceMembership
from relance.tenancy.service import NewApiKey, NewMember

if TYPE_CHECKING:
    # Only its shape is read: the app, and the commands other than demo, never load the demo.
    from relance.demo import DemoTenant


def organization(organization: Organization) -> OrganizationDto:
    return OrganizationDto.model_validate(organization, from_attributes=True)


def workspace(workspace: Workspace) -> AdminWorkspaceDto:
    return AdminWorkspaceDto.model_validate(workspace, from_attributes=True)


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


def api_key_summary(api_key: ApiKey) -> ApiKeySummaryDto:
    return ApiKeySummaryDto(
        id=api_key.id,
        name=api_key.name,
        mode=api_key.mode,
        workspace_ids=api_key.workspace_ids,
        created_at=api_key.created_at,
        revoked_at=api_key.revoked_at,
    )


def revoked_api_key(api_key: ApiKey) -> RevokedApiKeyDto:
    return RevokedApiKeyDto(id=api_key.id, revoked_at=api_key.revoked_at)


def purged_runs(deleted: int, *, retention_days: int) -> PurgedRunsDto:
    return PurgedRunsDto(deleted=deleted, retention_days=retention_days)


def purged_idempotency_keys(deleted: int) -> PurgedIdempotencyKeysDto:
    return PurgedIdempotencyKeysDto(deleted=deleted)


def reencrypted(resealed: int, unreadable: list[uuid.UUID]) -> ReencryptedDto:
    return ReencryptedDto(resealed=resealed, unreadable=unreadable)


def demo_tenant(tenant: "DemoTenant") -> DemoTenantDto:
    return DemoTenantDto(
        api_key=tenant.api_key,
        organization_id=tenant.organization_id,
        workspace_id=tenant.workspace_id,
        members=[
            DemoMemberDto(
                organization_membership_id=m.organization_membership_id,
                workspace_membership_id=m.workspace_membership_id,
                email=m.email,
            )
            for m in tenant.members
        ],
        sequence_id=tenant.sequence_id,
        contact_ids=tenant.contact_ids,
    )
