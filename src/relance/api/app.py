"""The application factory."""

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from relance import logs
from relance.api import health, middleware, openapi
from relance.api.admin.routes import router as admin_router
from relance.api.errors import install_error_handlers
from relance.api.faults import Faults
from relance.api.observability import RequestContext
from relance.api.opencx.routes import router as opencx_router
from relance.api.v1 import (
    calls,
    contacts,
    directory,
    do_not_call,
    queue,
    sequences,
    tags,
    webhooks,
)
from relance.db.checkpoints import checkpointing
from relance.db.types import utcnow
from relance.ratelimit import FailureLimiter, RateLimiter
from relance.settings import Settings
from relance.tenancy.database import Database
from relance.webhooks.dispatcher import Dispatcher

DESCRIPTION = """Self-hosted engine for outbound-call sequences.

`/v1` is wire-compatible with the Skipcall Public API's sequence operations: authenticate
with `Authorization: Bearer sk_live_...`. Rate limits per organization and per minute, by
plan, are reported in `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset`.
Errors: `{"error": {"code", "message", "status"}}`.

`/opencx` serves OpenCX's "add contacts to a continuous sequence" with the same API keys
(`Authorization: Bearer <key>`), snake case, and OpenCX's error body
`{"statusCode", "message", "error"}`.
"""


@asynccontextmanager
async def delivering(settings: Settings, database: Database) -> AsyncIterator[None]:
    """The process's webhook dispatcher, for as long as it serves, unless
    RELANCE_WEBHOOK_DELIVERY is off (a ``relance worker`` delivers then)."""
    if settings.webhook_delivery == "off":
        yield
        return
    dispatcher = Dispatcher(database, settings)
    stop = asyncio.Event()
    task = asyncio.create_task(dispatcher.run(stop))
    try:
        yield
    finally:
        stop.set()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await dispatcher.close()


def create_app(settings: Settings | None = None, *, database: Database | None = None) -> FastAPI:
    settings = settings or Settings()
    database = database or Database(settings.database_url, timeout_s=settings.db_timeout_s)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # What is alive once the app has started (modules, models, schemas) lives as long
        # as the process: out of the collector's sight, a full collection walks only what
        # requests made, instead of stalling a request for the whole heap.
        gc.freeze()
        async with checkpointing(database.url), delivering(settings, database):
            yield
        await database.dispose()

    # /docs and /redoc served with their assets from the package: they work offline.
    app = FastAPIOffline(
        title="Relance",
        version="1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        generate_unique_id_function=openapi.operation_id,
    )
    app.state.settings = settings
    app.state.database = database
    app.state.clock = utcnow
    app.state.rate_limiter = RateLimiter(
        per_minute=settings.plan_rate_limits,
        redis_url=settings.redis_url,
        redis_timeout_s=settings.redis_timeout_s,
    )
    app.state.admin_failures = FailureLimiter(per_minute=settings.admin_failures_per_minute)
    install_error_handlers(app)
    for router in (
        sequences.router,
        contacts.router,
        tags.router,
        calls.router,
        directory.router,
        do_not_call.router,
        queue.router,
        webhooks.router,
        opencx_router,
        admin_router,
        health.router,
    ):
        app.include_router(router)

    openapi.install(app)
    # Outermost last: the request's id and log line around everything; the faults below
    # the rate-limit headers, so that a 500 or a 503 carries them like any answer.
    app.add_middleware(Faults)
    app.add_middleware(middleware.RateLimitHeaders)
    app.add_middleware(middleware.BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestContext)
    return app


def create_served_app() -> FastAPI:
    """The app of ``relance serve``'s every worker: settings from the environment, logs
    in RELANCE_LOG_FORMAT."""
    settings = Settings()
    logs.configure(settings.log_format)
    return create_app(settings)
