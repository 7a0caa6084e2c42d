"""Which workspace a new resource lands in, or a list is filtered by."""

import uuid

from relance.errors import ValidationFailed
from relance.tenancy.scope import TenantScope


def resolve_workspace(scope: TenantScope, workspace_id: uuid.UUID | None) -> uuid.UUID:
    """The workspace named, or the only one the key can reach.

    For a key limited to some workspaces, its only workspace; for a key of the whole
    organization, the organization's only workspace. A workspace outside the key's scope
    is answered exactly like an unknown one.
    """
    if workspace_id is not None:
        return known_workspace(scope, workspace_id)
    if len(scope.workspace_ids) == 1:
        return scope.workspace_ids[0]
    raise ValidationFailed(
        f"required, because this API key can reach {len(scope.workspace_ids)} workspaces",
        at=("workspace_id",),
    )


def known_workspace(scope: TenantScope, workspace_id: uuid.UUID) -> uuid.UUID:
    """``workspace_id`` when the key can reach it; otherwise a 400 "unknown workspace",
    the same for another organization's workspace as for one that never existed."""
    if not scope.allows_workspace(workspace_id):
        raise ValidationFailed("unknown workspace", at=("workspace_id",))
    return workspace_id
