"""Queries on organizations, workspaces, memberships and API keys.

Lookups by id use ``select`` rather than ``session.get``: ``get`` may answer from the
identity map without running SQL, and so without the tenant scope.
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from relance.db.models import (
    ApiKey,
    Organization,
    OrganizationMembership,
    Workspace,
    WorkspaceMembership,
)
from relance.plans import Plan, SubscriptionStatus


async def get_organization(
    session: AsyncSession, organization_id: uuid.UUID
) -> Organization | None:
    return await session.scalar(select(Organization).where(Organization.id == organization_id))


@dataclass(frozen=True)
class KeyGrant:
    """What authenticating a key reads: the key, its organization, the organization's
    workspaces (oldest first)."""

    revoked_at: datetime | None
    key_workspace_ids: list[str] | None  # None: every workspace of the organization
    organization_id: uuid.UUID
    plan: Plan
    subscription_status: SubscriptionStatus
    workspace_ids: list[uuid.UUID]


# Built once: authentication runs on every request.
_KEY_GRANT = (
    select(
        ApiKey.revoked_at,
        ApiKey.workspace_ids,
        Organization.id,
        Organization.plan,
        Organization.subscription_status,
        Workspace.id,
    )
    .join(Organization, Organization.id == ApiKey.organization_id)
    .outerjoin(Workspace, Workspace.organization_id == Organization.id)
    .where(ApiKey.key_digest == bindparam("key_digest"))
    .order_by(Workspace.created_at, Workspace.id)
)


async def key_grant(session: AsyncSession, *, key_digest: str) -> KeyGrant | None:
    """The key with this digest, its organization and its workspaces, in one statement."""
    rows = (await session.execute(_KEY_GRANT, {"key_digest": key_digest})).all()
    if not rows:
        return None
    first = rows[0]
    return KeyGrant(
        revoked_at=first[0],
        key_workspace_ids=first[1],
        organization_id=first[2],
        plan=first[3],
        subscription_status=first[4],
        workspace_ids=[row[5] for row in rows if row[5] is not None],
    )


async def get_api_key(session: AsyncSession, api_key_id: uuid.UUID) -> ApiKey | None:
    return await session.scalar(select(ApiKey).where(ApiKey.id == api_key_id))


async def organization_workspace_ids(
    session: AsyncSession, organization_id: uuid.UUID
) -> list[uuid.UUID]:
    rows = await session.scalars(
        select(Workspace.id).where(Workspace.organization_id == organization_id)
    )
    return list(rows)


async def get_workspace(session: AsyncSession, workspace_id: uuid.UUID) -> Workspace | None:
    return await session.scalar(select(Workspace).where(Workspace.id == workspace_id))


async def get_membership(
    session: AsyncSession, membership_id: uuid.UUID
) -> OrganizationMembership | None:
    return await session.scalar(
        select(OrganizationMembership).where(OrganizationMembership.id == membership_id)
    )


async def email_taken(session: AsyncSession, *, organization_id: uuid.UUID, email: str) -> bool:
    found = await session.scalar(
        select(OrganizationMembership.id).where(
            OrganizationMembership.organization_id == organization_id,
            OrganizationMembership.email == email,
        )
    )
    return found is not None


async def workspace_membership_exists(
    session: AsyncSession, *, workspace_id: uuid.UUID, organization_membership_id: uuid.UUID
) -> bool:
    found = await session.scalar(
        select(WorkspaceMembership.id).where(
            WorkspaceMembership.workspace_id == workspace_id,
            WorkspaceMembership.organization_membership_id == organization_membership_id,
        )
    )
    return found is not None


async def list_memberships(
    session: AsyncSession, *, offset: int, limit: int
) -> tuple[int, list[OrganizationMembership]]:
    total = await session.scalar(select(func.count()).select_from(OrganizationMembership))
    rows = await session.scalars(
        select(OrganizationMembership)
        .order_by(OrganizationMembership.created_at, OrganizationMembership.id)
        .offset(offset)
        .limit(limit)
    )
    return total or 0, list(rows)


async def list_workspaces(
    session: AsyncSession, *, offset: int, limit: int
) -> tuple[int, list[Workspace]]:
    total = await session.scalar(select(func.count()).select_from(Workspace))
    rows = await session.scalars(
        select(Workspace).order_by(Workspace.created_at, Workspace.id).offset(offset).limit(limit)
    )
    return total or 0, list(rows)


async def list_workspace_members(
    session: AsyncSession, *, workspace_id: uuid.UUID, offset: int, limit: int
) -> tuple[int, list[tuple[WorkspaceMembership, OrganizationMembership]]]:
    total = await session.scalar(
        select(func.count())
        .select_from(WorkspaceMembership)
        .where(WorkspaceMembership.workspace_id == workspace_id)
    )
    rows = await session.execute(
        select(WorkspaceMembership, OrganizationMembership)
        .join(
            OrganizationMembership,
            OrganizationMembership.id == WorkspaceMembership.organization_membership_id,
        )
        .where(WorkspaceMembership.workspace_id == workspace_id)
        .order_by(WorkspaceMembership.created_at, WorkspaceMembership.id)
        .offset(offset)
        .limit(limit)
    )
    return total or 0, [(row[0], row[1]) for row in rows]


async def workspace_memberships_for(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    organization_membership_ids: Iterable[uuid.UUID],
) -> dict[uuid.UUID, WorkspaceMembership]:
    """The workspace memberships of these organization members, keyed by member id."""
    rows = await session.scalars(
        select(WorkspaceMembership).where(
            WorkspaceMembership.workspace_id == workspace_id,
            WorkspaceMembership.organization_membership_id.in_(list(organization_membership_ids)),
        )
    )
    return {row.organization_membership_id: row for row in rows}


async def is_workspace_membership(
    session: AsyncSession, *, workspace_id: uuid.UUID, workspace_membership_id: uuid.UUID
) -> bool:
    found = await session.scalar(
        select(WorkspaceMembership.id).where(
            WorkspaceMembership.id == workspace_membership_id,
            WorkspaceMembership.workspace_id == workspace_id,
        )
    )
    return found is not None
