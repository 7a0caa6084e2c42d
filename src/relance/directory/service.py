"""Read-only views of an organization's people and workspaces, for API clients."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from relance.db.models import OrganizationMembership, Workspace, WorkspaceMembership
from relance.errors import NotFound
from relance.tenancy import repository


async def users(
    session: AsyncSession, *, offset: int, limit: int
) -> tuple[int, list[OrganizationMembership]]:
    """The organization's members."""
    return await repository.list_memberships(session, offset=offset, limit=limit)


async def workspaces(
    session: AsyncSession, *, offset: int, limit: int
) -> tuple[int, list[Workspace]]:
    """The workspaces the key can reach."""
    return await repository.list_workspaces(session, offset=offset, limit=limit)


async def workspace_members(
    session: AsyncSession, *, workspace_id: uuid.UUID, offset: int, limit: int
) -> tuple[int, list[tuple[WorkspaceMembership, OrganizationMembership]]]:
    """Members of one reachable workspace; 404 otherwise."""
    if await repository.get_workspace(session, workspace_id) is None:
        raise NotFound("Workspace not found")
    return await repository.list_workspace_members(
        session, workspace_id=workspace_id, offset=offset, limit=limit
    )
