"""Tenant scope: the one place that filters every ORM query to the caller's tenant.

A session is either *scoped* (``bind_scope``): every ORM SELECT, UPDATE and DELETE it runs
gets ``workspace_id IN (the key's workspaces)`` or ``organization_id = the key's
organization`` added by ``_apply_scope``, for every tenant-owned model the statement
touches, joins included. Or it is explicitly *unscoped* (``mark_unscoped``), which only
provisioning, authentication and the CLI use. A session that is neither refuses to query:
forgetting the scope is a crash, never a leak.

Inserts are not filtered: services insert only into a workspace they have just read
through the scope.
"""

import uuid
from dataclasses import dataclass

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from relance.db.models import ApiKey, Organization, OrganizationOwned, Workspace, WorkspaceOwned
from relance.plans import Plan

_SCOPE_KEY = "relance_tenant_scope"
_UNSCOPED_KEY = "relance_unscoped"


@dataclass(frozen=True, slots=True)
class TenantScope:
    """What an API key may see: its organization, and the workspaces it is allowed."""

    organization_id: uuid.UUID
    plan: Plan
    workspace_ids: tuple[uuid.UUID, ...]

    def allows_workspace(self, workspace_id: uuid.UUID) -> bool:
        return workspace_id in self.workspace_ids


class ScopedSession(Session):
    """The session class every Relance session uses; see ``_apply_scope``."""


class UnscopedQuery(RuntimeError):
    """A query ran on a session that was given neither a scope nor leave to be unscoped."""


def bind_scope(session: AsyncSession, scope: TenantScope) -> None:
    """From now on every query of this session sees only ``scope``."""
    session.sync_session.info.pop(_UNSCOPED_KEY, None)
    session.sync_session.info[_SCOPE_KEY] = scope


def mark_unscoped(session: AsyncSession) -> None:
    session.sync_session.info[_UNSCOPED_KEY] = True


def scope_of(session: AsyncSession) -> TenantScope:
    scope = session.sync_session.info.get(_SCOPE_KEY)
    if scope is None:
        raise UnscopedQuery("this session has no tenant scope")
    return scope


@event.listens_for(ScopedSession, "do_orm_execute")
def _apply_scope(state: ORMExecuteState) -> None:
    if not (state.is_select or state.is_update or state.is_delete):
        return
    if state.is_column_load or state.is_relationship_load:
        return  # the parent query was filtered already
    info = state.session.info
    scope: TenantScope | None = info.get(_SCOPE_KEY)
    if scope is None:
        if info.get(_UNSCOPED_KEY):
            return
        raise UnscopedQuery("query on a session with neither a tenant scope nor mark_unscoped()")
    workspace_ids = scope.workspace_ids
    organization_id = scope.organization_id
    state.statement = state.statement.options(
        with_loader_criteria(
            WorkspaceOwned,
            lambda cls: cls.workspace_id.in_(workspace_ids),
            include_aliases=True,
        ),
        with_loader_criteria(
            OrganizationOwned,
            lambda cls: cls.organization_id == organization_id,
            include_aliases=True,
        ),
        with_loader_criteria(Workspace, Workspace.id.in_(workspace_ids), include_aliases=True),
        with_loader_criteria(Organization, Organization.id == organization_id),
        with_loader_criteria(ApiKey, ApiKey.organization_id == organization_id),
    )
