"""Authentication of API keys and provisioning of tenants (organizations, members, keys).

Provisioning runs on an unscoped session: the admin API and the CLI act for the operator,
not for a tenant.
"""

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from relance.db.models import (
    ApiKey,
    Organization,
    OrganizationMembership,
    Workspace,
    WorkspaceMembership,
)
from relance.db.types import utcnow
from relance.errors import (
    Conflict,
    NotFound,
    PlanNotEligible,
    SubscriptionRequired,
    Unauthorized,
    ValidationFailed,
)
from relance.plans import API_PLANS, Plan, SubscriptionStatus
from relance.tenancy import keys, repository
from relance.tenancy.scope import TenantScope


async def authenticate(session: AsyncSession, *, raw_key: str | None) -> TenantScope:
    """The scope of a valid key of an eligible organization; raise otherwise."""
    if not raw_key or not keys.is_well_formed(raw_key):
        raise Unauthorized("Missing or malformed API key")
    grant = await repository.key_grant(session, key_digest=keys.digest(raw_key))
    if grant is None or grant.revoked_at is not None:
        raise Unauthorized("Invalid or revoked API key")
    if grant.subscription_status != SubscriptionStatus.ACTIVE:
        raise SubscriptionRequired("An active subscription is required to access the API")
    if grant.plan not in API_PLANS:
        raise PlanNotEligible("API access requires STARTER, INTERMÉDIAIRE or EXPERT plan")
    workspace_ids = grant.workspace_ids
    if grant.key_workspace_ids is not None:
        allowed = set(grant.key_workspace_ids)
        workspace_ids = [w for w in workspace_ids if str(w) in allowed]
    return TenantScope(
        organization_id=grant.organization_id, plan=grant.plan, workspace_ids=tuple(workspace_ids)
    )


async def create_organization(
    session: AsyncSession, *, name: str, plan: Plan, subscription_status: SubscriptionStatus
) -> Organization:
    """Create an organization."""
    organization = Organization(name=name, plan=plan, subscription_status=subscription_status)
    session.add(organization)
    await session.flush()
    return organization


async def update_organization(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    plan: Plan | None = None,
    subscription_status: SubscriptionStatus | None = None,
) -> Organization:
    """Change an organization's plan or subscription status."""
    organization = await _organization(session, organization_id)
    if plan is not None:
        organization.plan = plan
    if subscription_status is not None:
        organization.subscription_status = subscription_status
    await session.flush()
    return organization


async def create_workspace(
    session: AsyncSession, *, organization_id: uuid.UUID, name: str
) -> Workspace:
    """Create a workspace in an organization."""
    await _organization(session, organization_id)
    workspace = Workspace(organization_id=organization_id, name=name)
    session.add(workspace)
    await session.flush()
    return workspace


@dataclass(frozen=True)
class NewMember:
    membership: OrganizationMembership
    workspace_memberships: list[WorkspaceMembership]


async def create_member(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    email: str,
    first_name: str | None = None,
    last_name: str | None = None,
    workspace_ids: list[uuid.UUID] | None = None,
) -> NewMember:
    """Add a user to an organization, and to some of its workspaces."""
    await _organization(session, organization_id)
    email = email.strip().lower()
    if await repository.email_taken(session, organization_id=organization_id, email=email):
        raise Conflict(f"A member with email {email} already exists in this organization")
    await _check_workspaces(session, organization_id, workspace_ids or [])
    wanted = list(dict.fromkeys(workspace_ids or []))
    membership = OrganizationMembership(
        organization_id=organization_id, email=email, first_name=first_name, last_name=last_name
    )
    session.add(membership)
    await session.flush()
    workspace_memberships = [
        WorkspaceMembership(workspace_id=w, organization_membership_id=membership.id)
        for w in wanted
    ]
    session.add_all(workspace_memberships)
    await session.flush()
    return NewMember(membership=membership, workspace_memberships=workspace_memberships)


async def add_workspace_member(
    session: AsyncSession, *, workspace_id: uuid.UUID, organization_membership_id: uuid.UUID
) -> WorkspaceMembership:
    """Make an organization member a member of one of its organization's workspaces."""
    workspace = await repository.get_workspace(session, workspace_id)
    if workspace is None:
        raise NotFound("Workspace not found")
    member = await repository.get_membership(session, organization_membership_id)
    if member is None or member.organization_id != workspace.organization_id:
        raise ValidationFailed(
            "no such member in the workspace's organization", at=("organization_membership_id",)
        )
    if await repository.workspace_membership_exists(
        session, workspace_id=workspace_id, organization_membership_id=organization_membership_id
    ):
        raise Conflict("This member already belongs to the workspace")
    workspace_membership = WorkspaceMembership(
        workspace_id=workspace_id, organization_membership_id=organization_membership_id
    )
    session.add(workspace_membership)
    await session.flush()
    return workspace_membership


@dataclass(frozen=True)
class NewApiKey:
    api_key: ApiKey
    clear_key: str  # shown once, never stored


async def create_api_key(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    name: str,
    mode: str,
    workspace_ids: list[uuid.UUID] | None = None,
) -> NewApiKey:
    """Issue a key; ``workspace_ids`` None means every workspace, later ones included."""
    await _organization(session, organization_id)
    if mode not in keys.MODES:
        raise ValidationFailed("must be 'live' or 'test'", at=("mode",))
    if workspace_ids is not None:
        await _check_workspaces(session, organization_id, workspace_ids)
        workspace_ids = list(dict.fromkeys(workspace_ids))
    clear_key = keys.generate_key(mode)
    api_key = ApiKey(
        organization_id=organization_id,
        name=name,
        mode=mode,
        key_digest=keys.digest(clear_key),
        workspace_ids=None if workspace_ids is None else [str(w) for w in workspace_ids],
    )
    session.add(api_key)
    await session.flush()
    return NewApiKey(api_key=api_key, clear_key=clear_key)


async def revoke_api_key(session: AsyncSession, *, api_key_id: uuid.UUID) -> ApiKey:
    """Revoke a key; it is refused from the next request on. Revoking twice is a no-op."""
    api_key = await repository.get_api_key(session, api_key_id)
    if api_key is None:
        raise NotFound("API key not found")
    if api_key.revoked_at is None:
        api_key.revoked_at = utcnow()
        await session.flush()
    return api_key


async def _organization(session: AsyncSession, organization_id: uuid.UUID) -> Organization:
    organization = await repository.get_organization(session, organization_id)
    if organization is None:
        raise NotFound("Organization not found")
    return organization


async def _check_workspaces(
    session: AsyncSession, organization_id: uuid.UUID, workspace_ids: list[uuid.UUID]
) -> None:
    known = set(await repository.organization_workspace_ids(session, organization_id))
    for index, workspace_id in enumerate(workspace_ids):
        if workspace_id not in known:
            raise ValidationFailed(
                "no such workspace in this organization", at=("workspace_ids", index)
            )
