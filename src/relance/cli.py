"""The ``relance`` command: serve, provision tenants, create a demo tenant."""

import asyncio
import json
import math
import os
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import structlog
import typer
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from relance import logs, metrics
from relance.api.admin import shaping
from relance.api.errors import message_for
from relance.api.schemas import ResponseModel
from relance.db.migrate import upgrade_to_head
from relance.errors import RelanceError
from relance.plans import Plan, SubscriptionStatus, parse_plan
from relance.settings import Settings
from relance.tenancy import service as tenancy
from relance.tenancy.database import Database

app = typer.Typer(
    help="Relance: self-hosted engine for outbound-call sequences.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
admin = typer.Typer(
    help="Provision organizations, workspaces, members and API keys.", no_args_is_help=True
)
app.add_typer(admin, name="admin")
runs = typer.Typer(help="The runs /opencx requests leave.", no_args_is_help=True)
app.add_typer(runs, name="runs")

T = TypeVar("T")
log = structlog.stdlib.get_logger("relance")


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        messages = "; ".join(e["msg"].removeprefix("Value error, ") for e in error.errors())
        typer.echo(f"relance: invalid configuration: {messages}", err=True)
        raise typer.Exit(2) from None


def _print(result: ResponseModel) -> None:
    """Print a result through its model: what the admin API answers for the same thing.

    json.dumps rather than model_dump_json: non-ASCII stays escaped, as it always was."""
    typer.echo(json.dumps(result.model_dump(mode="json", by_alias=True), indent=2))


def _run_unscoped(action: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Migrate, run ``action`` in one operator transaction, and turn domain errors into exit 1."""
    settings = _settings()
    upgrade_to_head(settings.database_url)

    async def run() -> T:
        database = Database(settings.database_url)
        try:
            async with database.unscoped_session() as session:
                return await action(session)
        finally:
            await database.dispose()

    try:
        return asyncio.run(run())
    except RelanceError as error:
        typer.echo(f"relance: {message_for(error)}", err=True)
        raise typer.Exit(1) from None


def _plan(raw: str) -> Plan:
    plan = parse_plan(raw.upper())
    if plan is None:
        raise typer.BadParameter("one of FREE, STARTER, INTERMEDIAIRE, EXPERT")
    return plan


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes")] = 1,
) -> None:
    """Apply the migrations, then serve the API.

    Logs go to stdout in RELANCE_LOG_FORMAT, one line per request (no separate access log).
    On SIGTERM the server stops accepting connections and lets the requests under way
    finish, for up to RELANCE_SHUTDOWN_GRACE_S, before it closes its pools and exits.
    """
    import uvicorn

    settings = _settings()
    logs.configure(settings.log_format)
    log.info("migrations", outcome=upgrade_to_head(settings.database_url).describe())
    if workers > 1 and not os.environ.get(metrics.MULTIPROCESS_DIR):
        # Each worker writes its metrics here; the one asked for /metrics sums them.
        os.environ[metrics.MULTIPROCESS_DIR] = tempfile.mkdtemp(prefix="relance-metrics-")
    uvicorn.run(
        "relance.api.app:create_served_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        # The C event loop and HTTP parser: a request's fixed cost is a fraction of the
        # pure-Python ones'.
        loop="uvloop",
        http="httptools",
        log_level="info",
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=math.ceil(settings.shutdown_grace_s),
    )


@app.command()
def migrate() -> None:
    """Apply the migrations and say what they did."""
    typer.echo(f"relance: {upgrade_to_head(_settings().database_url).describe()}")


@app.command()
def demo(
    as_json: Annotated[bool, typer.Option("--json", help="Print the tenant as JSON")] = False,
) -> None:
    """Create a demo tenant (EXPERT plan, a workspace, three assignees, contacts, a sequence)."""
    from relance.demo import create_demo_tenant

    settings = _settings()
    upgrade_to_head(settings.database_url)

    async def run():  # noqa: ANN202
        database = Database(settings.database_url)
        try:
            return await create_demo_tenant(database, default_region=settings.default_region)
        finally:
            await database.dispose()

    tenant = asyncio.run(run())
    if as_json:
        _print(shaping.demo_tenant(tenant))
        return
    typer.echo(f"Demo tenant created. API key (shown once): {tenant.api_key}")
    typer.echo(f"Sequence: {tenant.sequence_id}")


@admin.command("create-org")
def create_org(
    name: Annotated[str, typer.Option()],
    plan: Annotated[str, typer.Option(help="FREE, STARTER, INTERMEDIAIRE or EXPERT")] = "EXPERT",
    status: Annotated[SubscriptionStatus, typer.Option()] = SubscriptionStatus.ACTIVE,
) -> None:
    """Create an organization."""
    org = _run_unscoped(
        lambda s: tenancy.create_organization(
            s, name=name, plan=_plan(plan), subscription_status=status
        )
    )
    _print(shaping.organization(org))


@admin.command("update-org")
def update_org(
    organization_id: uuid.UUID,
    plan: Annotated[str | None, typer.Option()] = None,
    status: Annotated[SubscriptionStatus | None, typer.Option()] = None,
) -> None:
    """Change an organization's plan or subscription status."""
    org = _run_unscoped(
        lambda s: tenancy.update_organization(
            s,
            organization_id=organization_id,
            plan=_plan(plan) if plan else None,
            subscription_status=status,
        )
    )
    _print(shaping.organization(org))


@admin.command("create-workspace")
def create_workspace(organization_id: uuid.UUID, name: Annotated[str, typer.Option()]) -> None:
    """Create a workspace in an organization."""
    ws = _run_unscoped(
        lambda s: tenancy.create_workspace(s, organization_id=organization_id, name=name)
    )
    _print(shaping.workspace(ws))


@admin.command("add-member")
def add_member(
    organization_id: uuid.UUID,
    email: Annotated[str, typer.Option()],
    first_name: Annotated[str | None, typer.Option()] = None,
    last_name: Annotated[str | None, typer.Option()] = None,
    workspace: Annotated[list[uuid.UUID] | None, typer.Option(help="Repeat for several")] = None,
) -> None:
    """Add a user to an organization (and to some of its workspaces)."""
    new = _run_unscoped(
        lambda s: tenancy.create_member(
            s,
            organization_id=organization_id,
            email=email,
            first_name=first_name,
            last_name=last_name,
            workspace_ids=workspace,
        )
    )
    _print(shaping.member(new))


@admin.command("add-workspace-member")
def add_workspace_member(workspace_id: uuid.UUID, organization_membership_id: uuid.UUID) -> None:
    """Make an organization member a member of a workspace."""
    wm = _run_unscoped(
        lambda s: tenancy.add_workspace_member(
            s, workspace_id=workspace_id, organization_membership_id=organization_membership_id
        )
    )
    _print(shaping.workspace_membership(wm))


@admin.command("create-api-key")
def create_api_key(
    organization_id: uuid.UUID,
    name: Annotated[str, typer.Option()],
    mode: Annotated[str, typer.Option(help="live or test")] = "live",
    workspace: Annotated[
        list[uuid.UUID] | None, typer.Option(help="Limit to these workspaces")
    ] = None,
) -> None:
    """Issue an API key; the clear key is printed once."""
    new = _run_unscoped(
        lambda s: tenancy.create_api_key(
            s,
            organization_id=organization_id,
            name=name,
            mode=mode,
            workspace_ids=workspace or None,
        )
    )
    _print(shaping.api_key(new))


@admin.command("revoke-api-key")
def revoke_api_key(api_key_id: uuid.UUID) -> None:
    """Revoke an API key."""
    api_key = _run_unscoped(lambda s: tenancy.revoke_api_key(s, api_key_id=api_key_id))
    _print(shaping.revoked_api_key(api_key))


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
