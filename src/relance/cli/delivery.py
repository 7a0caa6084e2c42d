"""``relance worker`` (a webhook dispatcher alone), ``events purge``, and the operator's
key of webhook secrets: ``webhooks new-key`` and ``webhooks reencrypt``."""

import asyncio
import signal
import uuid
from typing import Annotated

import typer

from relance import logs
from relance.api.admin import shaping
from relance.cli.common import (
    OPERATOR_TIMEOUT_S,
    _fail,
    _migrated,
    _print,
    _reaching,
    _run_unscoped,
    _settings,
    app,
    log,
    warn_without_key,
)
from relance.secretbox import KEY_VARIABLE, new_key
from relance.tenancy.database import Database

events = typer.Typer(help="The events webhooks and /v1/events show.", no_args_is_help=True)
app.add_typer(events, name="events")
webhooks = typer.Typer(help="The operator's key of webhook secrets.", no_args_is_help=True)
app.add_typer(webhooks, name="webhooks")


@app.command()
def worker() -> None:
    """Send webhooks until SIGTERM or SIGINT, beside servers started with
    RELANCE_WEBHOOK_DELIVERY=off (or as well as theirs: dispatchers share the work)."""
    from relance.db.checkpoints import checkpointing
    from relance.webhooks.dispatcher import Dispatcher

    logs.configure(_settings().log_format)
    settings, migrated = _migrated()
    log.info("migrations", outcome=migrated.describe())
    warn_without_key(settings)

    async def run() -> None:
        database = Database(settings.database_url, timeout_s=settings.db_timeout_s)
        dispatcher = Dispatcher(database, settings)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        log.info("worker_started")
        try:
            async with checkpointing(database.url):
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


@webhooks.command("new-key")
def webhooks_new_key() -> None:
    """Print a new key for RELANCE_SECRET_KEY (put it first, before the current one)."""
    typer.echo(new_key())


@webhooks.command("reencrypt")
def webhooks_reencrypt(
    batch: Annotated[
        int, typer.Option(min=1, max=10000, metavar="N", help="Endpoints per transaction")
    ] = 500,
) -> None:
    """Seal every stored webhook secret again under RELANCE_SECRET_KEY's first key (clear
    ones too), N endpoints per transaction; exit 1 if some secret no key opens (they are
    listed, and left as they were)."""
    from relance.webhooks import service

    box = _settings().secret_box
    if box is None:
        _fail(f"{KEY_VARIABLE} is unset: nothing to seal the secrets with")
    settings, _ = _migrated()

    async def run() -> tuple[int, list[uuid.UUID]]:
        database = Database(settings.database_url, timeout_s=OPERATOR_TIMEOUT_S)
        resealed, after = 0, None
        unreadable: list[uuid.UUID] = []
        try:
            while True:
                async with database.unscoped_session() as session:
                    done = await service.reencrypt_batch(session, box=box, after=after, limit=batch)
                if done.last is None:
                    return resealed, unreadable
                resealed, after = resealed + done.resealed, done.last
                unreadable.extend(done.unreadable)
        finally:
            await database.dispose()

    with _reaching(settings):
        resealed, unreadable = asyncio.run(run())
    _print(shaping.reencrypted(resealed, unreadable))
    if unreadable:
        _fail(f"{len(unreadable)} endpoint(s) have a secret no key of {KEY_VARIABLE} opens")
