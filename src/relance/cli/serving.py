"""``relance serve``, ``migrate``, ``demo``, ``runs purge`` and ``idempotency-keys purge``."""

import asyncio
import math
import os
import tempfile
from typing import Annotated

import typer

from relance import logs, metrics
from relance.api.admin import shaping
from relance.cli.common import (
    OPERATOR_TIMEOUT_S,
    _migrated,
    _print,
    _reaching,
    _run_unscoped,
    _settings,
    app,
    idempotency_keys,
    log,
    runs,
    warn_without_key,
)
from relance.tenancy.database import Database


@app.command()
def serve(
    host: Annotated[str, typer.Option(metavar="HOST", help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(metavar="PORT", help="Port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(min=1, metavar="N", help="Worker processes")] = 1,
) -> None:
    """Apply the migrations, then serve the API.

    Logs go to stdout in RELANCE_LOG_FORMAT, one line per request (no separate access log).
    On SIGTERM the server stops accepting connections and lets the requests under way
    finish, for up to RELANCE_SHUTDOWN_GRACE_S, before it closes its pools and exits.
    """
    import uvicorn

    logs.configure(_settings().log_format)
    settings, migrated = _migrated()
    log.info("migrations", outcome=migrated.describe())
    warn_without_key(settings)
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
    typer.echo(f"relance: {_migrated()[1].describe()}")


@app.command()
def demo(
    as_json: Annotated[bool, typer.Option("--json", help="Print the tenant as JSON")] = False,
) -> None:
    """Create a demo tenant (EXPERT plan, a workspace, three assignees, contacts, a sequence)."""
    from relance.demo import create_demo_tenant

    settings, _ = _migrated()

    async def run():  # noqa: ANN202
        database = Database(settings.database_url, timeout_s=OPERATOR_TIMEOUT_S)
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


@runs.command("purge")
def purge_runs() -> None:
    """Delete runs older than RELANCE_RUN_RETENTION_DAYS (30 by default)."""
    from relance.opencx import service as opencx

    days = _settings().run_retention_days
    deleted = _run_unscoped(lambda s: opencx.purge_runs(s, retention_days=days))
    _print(shaping.purged_runs(deleted, retention_days=days))


@idempotency_keys.command("purge")
def purge_idempotency_keys() -> None:
    """Delete the answers kept for Idempotency-Key requests older than 24 hours."""
    from relance.idempotency import service as idempotency

    deleted = _run_unscoped(idempotency.purge)
    _print(shaping.purged_idempotency_keys(deleted))
