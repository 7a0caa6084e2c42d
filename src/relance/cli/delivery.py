"""``relance worker`` (a webhook dispatcher alone) and ``events purge``."""

import asyncio
import signal

import typer

from relance import logs
from relance.api.admin import shaping
from relance.cli.common import _migrated, _print, _reaching, _run_unscoped, _settings, app, log
from relance.tenancy.database import Database

events = typer.Typer(help="The events webhooks and /v1/events show.", no_args_is_help=True)
app.add_typer(events, name="events")


@app.command()
def worker() -> None:
    """Send webhooks until SIGTERM or SIGINT, beside servers started with
    RELANCE_WEBHOOK_DELIVERY=off (or as well as theirs: dispatchers share the work)."""
    from relance.webhooks.dispatcher import Dispatcher

    logs.configure(_settings().log_format)
    settings, migrated = _migrated()
    log.info("migrations", outcome=migrated.describe())

    async def run() -> None:
        database = Database(settings.database_url, timeout_s=settings.db_timeout_s)
        dispatcher = Dispatcher(database, settings)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        log.info("worker_started")
        try:
            await dispatcher.run(stop)
            await dispatcher.drain()
        finally:
            await dispatcher.close()
            await database.dispose()

    with _reaching(settings):
        asyncio.run(run())


@events.command("purge")
def purge_events() -> None:
    """Delete events older than RELANCE_EVENT_RETENTION_DAYS (30 by default), with their
    deliveries."""
    from relance.webhooks import service

    days = _settings().event_retention_days
    deleted = _run_unscoped(lambda s: service.purge_events(s, retention_days=days))
    _print(shaping.purged_runs(deleted, retention_days=days))
