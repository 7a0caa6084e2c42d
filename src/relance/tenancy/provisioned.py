"""What provisioning created, listed for the operator: organizations, and an organization's
workspaces, members and API keys, oldest first.

Like provisioning, it runs on an unscoped session; the organization is the one named, and
an unknown one is a NotFound.
"""

import uuid
from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from relance.db.models import (
    ApiKey,
    Organization,
    OrganizationMembership,
    Workspace,
    WorkspaceMembership,
)
from relance.errors import NotFound
from relance.tenancy import repository
from relance.tenancy.service import NewMember


async def organizations(session: AsyncSession) -> list[Organization]:
    rows = await session.scalars(
        select(Organization).order_by(Organization.created_at, Organization.id)
    )
    return list(rows)


async def workspaces(session: AsyncSession, *, organization_id: uuid.UUID) -> list[Workspace]:
    await _known(session, organization_id)
    rows = await session.scalars(
        select(Workspace)
        .where(Workspace.organization_id == organization_id)
        .order_by(Workspace.created_at, Workspace.id)
    )
    return list(rows)


async def members(session: AsyncSession, *, organization_id: uuid.UUID) -> list[NewMember]:
    """Each member with its workspace memberships, in two statements."""
    await _known(session, organization_id)
    people = list(
        await session.scalars(
            select(OrganizationMembership)
            .where(OrganizationMembership.organization_id == organization_id)
            .order_by(OrganizationMembership.created_at, OrganizationMembership.id)
        )
    )
    memberships: dict[uuid.UUID, list[WorkspaceMembership]] = defaultdict(list)
    if people:
        rows = await session.scalars(
            select(WorkspaceMembership)
            .where(WorkspaceMembership.organization_membership_id.in_([p.id for p in people]))
            .order_by(WorkspaceMembership.created_at, WorkspaceMembership.id)
        )
        for row in rows:
            memberships[row.organization_membership_id].append(row)
    return [NewMember(membership=p, workspace_memberships=memberships[p.id]) for p in people]


async def api_keys(session: AsyncSession, *, organization_id: uuid.UUID) -> list[ApiKey]:
    """The organization's keys, revoked ones included (their clear keys were never stored)."""
    await _known(session, organization_id)
    rows = await session.scalars(
        select(ApiKey)
        .where(ApiKey.organization_id == organization_id)
        .order_by(ApiKey.created_at, ApiKey.id)
    )
    return list(rows)


async def _known(session: AsyncSession, organization_id: uuid.UUID) -> None:
    if await repository.get_organization(session, organization_id) is None:
        raise NotFound("Organization not found")
