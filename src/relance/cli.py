"""The ``relance`` command: serve, provision tenants, create a demo tenant.

The admin commands read their options into the admin API's request models, so that both
accept the same values; an error names the option (``--workspace``), not the API field.
Every error the command reports is one line on stderr and exit status 1 (2: a command line
it cannot read).
"""

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from pydantic import BaseModel, ValidationError
from pydantic.alias_generators import to_camel, to_snake
from sqlalchemy.ext.asyncio import AsyncSession

from relance.api.admin import schemas, shaping
from relance.api.schemas import ResponseModel
from relance.api.validation import first_error
from relance.db.engine import describe, missing_directory, unreachable_reason
from relance.db.migrate import upgrade_to_head
from relance.errors import Location, RelanceError, ValidationFailed
from relance.plans import SubscriptionStatus
from relance.settings import Settings
from relance.tenancy import provisioned
from relance.tenancy import service as tenancy
from relance.tenancy.database import Database

app = typer.Typer(
    help="Relance: self-hosted engine for outbound-call sequences.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
admin = typer.Typer(
    help="Provision organizations, workspaces, members and API keys, and list them.",
    no_args_is_help=True,
)
app.add_typer(admin, name="admin")
runs = typer.Typer(help="The runs /opencx requests leave.", no_args_is_help=True)
app.add_typer(runs, name="runs")

T = TypeVar("T")

# How the command line spells what the API and the domain name (Python names).
_SPELLING = {
    "name": "--name",
    "plan": "--plan",
    "subscription_status": "--status",
    "email": "--email",
    "first_name": "--first-name",
    "last_name": "--last-name",
    "workspace_ids": "--workspace",
    "mode": "--mode",
    "organization_membership_id": "MEMBER_ID",
}

Org = Annotated[uuid.UUID, typer.Argument(metavar="ORG_ID", help="The organization's id")]
WorkspaceOption = Annotated[
    list[uuid.UUID] | None,
    typer.Option("--workspace", metavar="ID", help="A workspace id; repeat for several"),
]


def _fail(message: str) -> NoReturn:
    typer.echo(f"relance: {message}", err=True)
    raise typer.Exit(1)


def _spell(location: Location) -> str:
    """``("workspace_ids", 1)`` -> ``--workspace #2``."""
    words = []
    for part in location:
        if isinstance(part, int):
            words.append(f"#{part + 1}")
        else:
            name = to_snake(str(part))
            words.append(_SPELLING.get(name, name))
    return " ".join(words)


def _message(error: RelanceError) -> str:
    if isinstance(error, ValidationFailed) and error.location:
        return f"{_spell(error.location)}: {error.message}"
    return error.message


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        _fail(f"invalid configuration: {first_error(error.errors()).message}")


@contextmanager
def _reaching(settings: Settings, *, connecting: bool = False) -> Iterator[None]:
    """A database that cannot be reached is one line, never a traceback."""
    try:
        yield
    except Exception as error:
        reason = unreachable_reason(error, connecting=connecting)
        if reason is None:
            raise
        _fail(f"cannot reach {describe(settings.database_url)}: {reason}")


def _migrated() -> Settings:
    """The settings, once the database they name is reached and migrated; then says which
    it is, first thing (a relative SQLite path is relative to the working directory)."""
    settings = _settings()
    if directory := missing_directory(settings.database_url):
        _fail(f"cannot reach {describe(settings.database_url)}: no such directory {directory}")
    with _reaching(settings, connecting=True):
        upgrade_to_head(settings.database_url)
    typer.echo(f"relance: using {describe(settings.database_url)}", err=True)
    return settings


def _request(model: type[BaseModel], **values: Any) -> Any:
    """``values`` (Python names; None: not given) read by the admin API's request model."""
    try:
        return model.model_validate({to_camel(k): v for k, v in values.items() if v is not None})
    except ValidationError as error:
        _fail(_message(first_error(error.errors())))


def _print(result: ResponseModel | Sequence[ResponseModel]) -> None:
    """Print a result through its model: what the admin API answers for the same thing; a
    list as a JSON array. json.dumps: non-ASCII stays escaped, as it always was."""
    dump = lambda r: r.model_dump(mode="json", by_alias=True)  # noqa: E731
    shown = dump(result) if isinstance(result, ResponseModel) else [dump(r) for r in result]
    typer.echo(json.dumps(shown, indent=2))


def _run_unscoped(action: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Migrate, run ``action`` in one operator transaction, and turn domain errors into exit 1."""
    settings = _migrated()

    async def run() -> T:
        database = Database(settings.database_url)
        try:
            async with database.unscoped_session() as session:
                return await action(session)
        finally:
            await database.dispose()

    try:
        with _reaching(settings):
            return asyncio.run(run())
    except RelanceError as error:
        _fail(_message(error))


@app.command()
def serve(
    host: Annotated[str, typer.Option(metavar="HOST", help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(metavar="PORT", help="Port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(min=1, metavar="N", help="Worker processes")] = 1,
) -> None:
    """Apply the migrations, then serve the API."""
    import uvicorn

    _migrated()
    uvicorn.run(
        "relance.api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        # The C event loop and HTTP parser: a request's fixed cost is a fraction of the
        # pure-Python ones'.
        loop="uvloop",
        http="httptools",
        log_level="info",
    )


@app.command()
def migrate() -> None:
    """Apply the migrations and exit."""
    _migrated()


@app.command()
def demo(
    as_json: Annotated[bool, typer.Option("--json", help="Print the tenant as JSON")] = False,
) -> None:
    """Create a demo tenant (EXPERT plan, a workspace, three assignees, contacts, a sequence)."""
    from relance.demo import create_demo_tenant

    settings = _migrated()

    async def run():  # noqa: ANN202
        database = Database(settings.database_url)
        try:
            return await create_demo_tenant(database, default_region=settings.default_region)
        finally:
            await database.dispose()

    with _reaching(settings):
        tenant = asyncio.run(run())
    if as_json:
        _print(shaping.demo_tenant(tenant))
        return
    typer.echo(f"Demo tenant created. API key (shown once): {tenant.api_key}")
    typer.echo(f"Sequence: {tenant.sequence_id}")


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


@runs.command("purge")
def purge_runs() -> None:
    """Delete runs older than RELANCE_RUN_RETENTION_DAYS (30 by default)."""
    from relance.opencx import service as opencx

    days = _settings().run_retention_days
    deleted = _run_unscoped(lambda s: opencx.purge_runs(s, retention_days=days))
    _print(shaping.purged_runs(deleted, retention_days=days))


def main() -> None:
    app(prog_name="relance")


if __name__ == "__main__":
    main()
