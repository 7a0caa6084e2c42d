"""Tenant scope: the one place that filters every ORM query to the caller's tenant.

A session is either *scoped* (``bind_scope``): every ORM SELECT, UPDATE and DELETE it runs
gets ``workspace_id IN (the key's workspaces)`` or ``organization_id = the key's
organization`` added by ``_apply_scope``, for every tenant-owned model the statement
touches, joins included. Or it is explicitly *unscoped* (``mark_unscoped``), which only
provisioning, authentication and the CLI use. A session that is neither refuses to query:
forgetting the scope is a crash, never a leak.

Inserts are not filtered: services insert only into a workspace they have just read
through the scope.

A Core SELECT (of ``Table`` columns, not entities: no ORM objects for a read-only page)
runs only if it was built by ``scoped``, which puts the same filter in every SELECT of it,
subqueries included, for each tenant table of its FROM, as parameters that ``_apply_scope``
binds from the session's scope at each execution. Any other Core SELECT, UPDATE or DELETE
on a scoped session is refused: nothing would filter it.
"""

import uuid
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, bindparam, event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria
from sqlalchemy.sql import visitors
from sqlalchemy.sql.selectable import Alias, FromClause, Join, TableClause

from relance.db.models import ApiKey, Organization, OrganizationOwned, Workspace, WorkspaceOwned
from relance.plans import Plan

_SCOPE_KEY = "relance_tenant_scope"
# A Core SELECT built by scoped(), and the parameters it takes the scope in.
_CORE_SCOPED = "relance_core_scoped"
_WORKSPACE_IDS = "relance_scope_workspace_ids"
_ORGANIZATION_ID = "relance_scope_organization_id"
T = TypeVar("T", bound=tuple[Any, ...])
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
    info = session.sync_session.info
    info.pop(_UNSCOPED_KEY, None)
    info[_SCOPE_KEY] = scope


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
    info = state.session.info
    scope: TenantScope | None = info.get(_SCOPE_KEY)
    if scope is None:
        if info.get(_UNSCOPED_KEY):
            return
        raise UnscopedQuery("query on a session with neither a tenant scope nor mark_unscoped()")
    # The filters' values, bound at every execution: loads of columns and relationships
    # included, which carry the filters of the query that loaded their object.
    values = {_WORKSPACE_IDS: list(scope.workspace_ids), _ORGANIZATION_ID: scope.organization_id}
    parameters: Any = state.parameters
    if isinstance(parameters, list):
        state.parameters = [{**p, **values} for p in parameters]
    else:
        state.parameters = {**(parameters or {}), **values}
    if state.is_column_load or state.is_relationship_load:
        return  # the parent query was filtered already
    if not state.is_orm_statement:
        if not (state.is_select and state.execution_options.get(_CORE_SCOPED)):
            raise UnscopedQuery("a Core statement not built by scoped() would bypass the scope")
        return
    state.statement = _with_criteria(state.statement)


def _loader_criteria() -> tuple[Any, ...]:
    """The ORM filters of every scope, built once: they name their values as parameters
    (``_WORKSPACE_IDS``, ``_ORGANIZATION_ID``), which ``_apply_scope`` binds from the
    session's scope at each execution, so that they hold no tenant's values themselves."""

    def workspaces() -> Any:
        return bindparam(_WORKSPACE_IDS, expanding=True)

    def organization() -> Any:
        return bindparam(_ORGANIZATION_ID)

    return (
        with_loader_criteria(
            WorkspaceOwned,
            lambda cls: cls.workspace_id.in_(workspaces()),
            include_aliases=True,
            track_closure_variables=False,
        ),
        with_loader_criteria(
            OrganizationOwned,
            lambda cls: cls.organization_id == organization(),
            include_aliases=True,
            track_closure_variables=False,
        ),
        with_loader_criteria(
            Workspace,
            lambda cls: cls.id.in_(workspaces()),
            include_aliases=True,
            track_closure_variables=False,
        ),
        with_loader_criteria(
            Organization, lambda cls: cls.id == organization(), track_closure_variables=False
        ),
        with_loader_criteria(
            ApiKey, lambda cls: cls.organization_id == organization(), track_closure_variables=False
        ),
    )


_CRITERIA = _loader_criteria()
# Each statement with the filters added, kept for the next execution of the same statement
# (one built once, at import): adding them makes a new statement, whose cache key
# SQLAlchemy computes again, walking all of it, on every execution. Bounded: statements
# built per request pass through it and are dropped when it fills up.
_FILTERED: dict[int, tuple[Any, Any]] = {}
_FILTERED_MAX = 512


def _with_criteria(statement: Any) -> Any:
    kept = _FILTERED.get(id(statement))
    if kept is not None and kept[0] is statement:
        return kept[1]
    filtered = statement.options(*_CRITERIA)
    if len(_FILTERED) >= _FILTERED_MAX:
        _FILTERED.clear()
    _FILTERED[id(statement)] = (statement, filtered)  # holds it: its id is not reused
    return filtered


def scoped(statement: Select[T]) -> Select[T]:
    """``statement``, a Core SELECT, with the tenant filter in each of its SELECTs for
    every table of its FROM that belongs to a tenant (by the columns ``_apply_scope``
    filters on), bound at execution to the session's scope.

    Walking a statement costs milliseconds: build it once (at import, or cached by shape)
    with its values as bind parameters, and scope it then.
    """

    def add_scope(select: Select) -> None:
        criteria = [
            condition
            for from_ in select.get_final_froms()
            for table in _tables(from_)
            for condition in _criteria(table)
        ]
        # Set on the clone the traversal made, in place: where() would make another copy.
        select._where_criteria += tuple(criteria)

    traversed = visitors.cloned_traverse(statement, {}, {"select": add_scope})
    return traversed.execution_options(**{_CORE_SCOPED: True})


def _tables(from_: FromClause) -> list[FromClause]:
    """The tables (or aliases of tables) a FROM element reads directly; a subquery's own
    SELECT is scoped on its own."""
    if isinstance(from_, Join):
        return _tables(from_.left) + _tables(from_.right)
    if isinstance(from_, TableClause) or (
        isinstance(from_, Alias) and isinstance(from_.element, TableClause)
    ):
        return [from_]
    return []


def _criteria(table: FromClause) -> list[ColumnElement[bool]]:
    name = table.element.name if isinstance(table, Alias) else table.name  # type: ignore[attr-defined]
    columns = table.c
    workspaces: Any = bindparam(_WORKSPACE_IDS, expanding=True)
    organization: Any = bindparam(_ORGANIZATION_ID)
    if name == Workspace.__tablename__:
        return [columns.id.in_(workspaces)]
    if name == Organization.__tablename__:
        return [columns.id == organization]
    if "workspace_id" in columns:
        return [columns.workspace_id.in_(workspaces)]
    if "organization_id" in columns:
        return [columns.organization_id == organization]
    return []
