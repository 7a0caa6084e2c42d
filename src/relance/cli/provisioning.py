"""``relance admin …``: provision organizations, workspaces, members and API keys, and
list them, as the admin API does."""

import uuid
from typing import Annotated

import typer

from relance.api.admin import schemas, shaping
from relance.cli.common import (
    Org,
    WorkspaceOption,
    _print,
    _request,
    _run_unscoped,
    admin,
)
from relance.plans import SubscriptionStatus
from relance.tenancy import provisioned
from relance.tenancy import service as tenancy

_PLAN_HELP = "FREE, STARTER, INTERMEDIAIRE (or INTERMÉDIAIRE) or EXPERT, in any case"


@admin.command("create-org")
def create_org(
    name: Annotated[str, typer.Option(metavar="NAME")],
    plan: Annotated[str, typer.Option(metavar="PLAN", help=_PLAN_HELP)] = "EXPERT",
    status: Annotated[SubscriptionStatus, typer.Option()] = SubscriptionStatus.ACTIVE,
) -> None:
    """Create an organization.

    Mirrors POST /admin/v1/organizations."""
    body = _request(
        schemas.CreateOrganizationDto, name=name, plan=plan.upper(), subscription_status=status
    )
    org = _run_unscoped(
        lambda s: tenancy.create_organization(
            s, name=body.name, plan=body.plan, subscription_status=body.subscription_status
        )
    )
    _print(shaping.organization(org))


@admin.command("update-org")
def update_org(
    organization_id: Org,
    plan: Annotated[str | None, typer.Option(metavar="PLAN", help=_PLAN_HELP)] = None,
    status: Annotated[SubscriptionStatus | None, typer.Option()] = None,
) -> None:
    """Change an organization's plan or subscription status.

    Mirrors PATCH /admin/v1/organizations/ID."""
    body = _request(
        schemas.UpdateOrganizationDto,
        plan=plan.upper() if plan else None,
        subscription_status=status,
    )
    org = _run_unscoped(
        lambda s: tenancy.update_organization(
            s,
            organization_id=organization_id,
            plan=body.plan,
            subscription_status=body.subscription_status,
        )
    )
    _print(shaping.organization(org))


@admin.command("create-workspace")
def create_workspace(
    organization_id: Org, name: Annotated[str, typer.Option(metavar="NAME")]
) -> None:
    """Create a workspace in an organization.

    Mirrors POST /admin/v1/organizations/ID/workspaces."""
    body = _request(schemas.CreateWorkspaceDto, name=name)
    ws = _run_unscoped(
        lambda s: tenancy.create_workspace(s, organization_id=organization_id, name=body.name)
    )
    _print(shaping.workspace(ws))


@admin.command("add-member")
def add_member(
    organization_id: Org,
    email: Annotated[str, typer.Option(metavar="EMAIL")],
    first_name: Annotated[str | None, typer.Option(metavar="NAME")] = None,
    last_name: Annotated[str | None, typer.Option(metavar="NAME")] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Add a user to an organization, and to some of its workspaces.

    Mirrors POST /admin/v1/organizations/ID/members."""
    body = _request(
        schemas.CreateMemberDto,
        email=email,
        first_name=first_name,
        last_name=last_name,
        workspace_ids=workspace or None,
    )
    new = _run_unscoped(
        lambda s: tenancy.create_member(
            s,
            organization_id=organization_id,
            email=body.email,
            first_name=body.first_name,
            last_name=body.last_name,
            workspace_ids=body.workspace_ids,
        )
    )
    _print(shaping.member(new))


@admin.command("add-workspace-member")
def add_workspace_member(
    workspace_id: Annotated[uuid.UUID, typer.Argument(metavar="WORKSPACE_ID")],
    organization_membership_id: Annotated[
        uuid.UUID, typer.Argument(metavar="MEMBER_ID", help="The organizationMembershipId")
    ],
) -> None:
    """Make an organization member a member of a workspace.

    Mirrors POST /admin/v1/workspaces/ID/members."""
    wm = _run_unscoped(
        lambda s: tenancy.add_workspace_member(
            s, workspace_id=workspace_id, organization_membership_id=organization_membership_id
        )
    )
    _print(shaping.workspace_membership(wm))


@admin.command("create-api-key")
def create_api_key(
    organization_id: Org,
    name: Annotated[str, typer.Option(metavar="NAME")],
    mode: Annotated[str, typer.Option(metavar="MODE", help="live or test")] = "live",
    workspace: WorkspaceOption = None,
) -> None:
    """Issue an API key, limited to some workspaces or not; the clear key is printed once.

    Mirrors POST /admin/v1/organizations/ID/api-keys."""
    body = _request(schemas.CreateApiKeyDto, name=name, mode=mode, workspace_ids=workspace or None)
    new = _run_unscoped(
        lambda s: tenancy.create_api_key(
            s,
            organization_id=organization_id,
            name=body.name,
            mode=body.mode,
            workspace_ids=body.workspace_ids,
        )
    )
    _print(shaping.api_key(new))


@admin.command("revoke-api-key")
def revoke_api_key(api_key_id: Annotated[uuid.UUID, typer.Argument(metavar="KEY_ID")]) -> None:
    """Revoke an API key.

    Mirrors DELETE /admin/v1/api-keys/ID."""
    api_key = _run_unscoped(lambda s: tenancy.revoke_api_key(s, api_key_id=api_key_id))
    _print(shaping.revoked_api_key(api_key))


@admin.command("list-orgs")
def list_orgs() -> None:
    """List the organizations, oldest first."""
    orgs = _run_unscoped(provisioned.organizations)
    _print([shaping.organization(o) for o in orgs])


@admin.command("list-workspaces")
def list_workspaces(organization_id: Org) -> None:
    """List an organization's workspaces, oldest first."""
    found = _run_unscoped(lambda s: provisioned.workspaces(s, organization_id=organization_id))
    _print([shaping.workspace(w) for w in found])


@admin.command("list-members")
def list_members(organization_id: Org) -> None:
    """List an organization's members and their workspace memberships, oldest first."""
    found = _run_unscoped(lambda s: provisioned.members(s, organization_id=organization_id))
    _print([shaping.member(m) for m in found])


@admin.command("list-api-keys")
def list_api_keys(organization_id: Org) -> None:
    """List an organization's API keys, revoked ones included (never the clear keys)."""
    found = _run_unscoped(lambda s: provisioned.api_keys(s, organization_id=organization_id))
    _print([shaping.api_key_summary(k) for k in found])
