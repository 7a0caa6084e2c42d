"""Request dependencies: the tenant's session, the operator's session, the rate limit.

Both session dependencies are ``scope="function"``: their exit (the commit) runs before
the response is sent, so a 2xx means the change is durable. FastAPI's default "request"
scope would commit only after the response has gone out.
"""

import hmac
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.exceptions import HTTPException
from sqlalchemy.ext.asyncio import AsyncSession

from relance import metrics
from relance.api import idempotency
from relance.api.state import record_budget, record_organization, spent_budget
from relance.errors import NotFound, RateLimited, Unauthorized
from relance.settings import Settings
from relance.tenancy import service as tenancy
from relance.tenancy.database import Database
from relance.tenancy.scope import TenantScope, bind_scope, mark_unscoped

_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


# Dependencies are coroutines even when they await nothing: FastAPI runs a plain function
# in a worker thread, a hop per request for reading an attribute.


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def now(request: Request) -> datetime:
    """The app's clock (``app.state.clock``): what the queue's rules call now. Tests set it;
    stamps on rows the rules do not read keep the real time."""
    return request.app.state.clock()


Now = Annotated[datetime, Depends(now)]


def _database(request: Request) -> Database:
    return request.app.state.database


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


async def tenant_session(
    request: Request,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> AsyncIterator[AsyncSession]:
    """Authenticate the API key, spend one request of its budget, yield a scoped session.

    A write request authenticates in a read transaction of its own and spends its budget
    before its write transaction begins: on SQLite that transaction holds the database's
    write lock, which no request may hold while it waits on Redis. A read holds no lock,
    so it does both in its one transaction. A write's ``Idempotency-Key`` is looked up in
    its write transaction (``api.idempotency``).
    """
    database = _database(request)
    if request.method in _READ_METHODS:
        async with database.session(write=False) as session:
            mark_unscoped(session)  # only for the key lookup, replaced by the key's scope
            bind_scope(session, await _authorize(request, session, authorization))
            yield session
        return
    async with database.unscoped_session(write=False) as session:
        scope = await _authorize(request, session, authorization)
    async with database.scoped_session(scope, write=True) as session:
        await idempotency.claim(request, session)
        yield session


async def _authorize(
    request: Request, session: AsyncSession, authorization: str | None
) -> TenantScope:
    """The key's scope, once one request of its organization's budget is spent."""
    scope = await tenancy.authenticate(session, raw_key=bearer_token(authorization))
    record_organization(request.scope, scope.organization_id)
    # A request run again after a transient conflict spends its budget once.
    budget = spent_budget(request.scope)
    if budget is None:
        budget = await request.app.state.rate_limiter.consume(
            organization_id=scope.organization_id, plan=scope.plan
        )
        record_budget(request.scope, budget)
    if not budget.allowed:
        metrics.RATE_LIMITED.inc()
        raise RateLimited(
            f"Rate limit of {budget.limit} requests per minute exceeded",
            retry_after_seconds=budget.retry_after_seconds,
        )
    return scope


async def admin_session(
    request: Request,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> AsyncIterator[AsyncSession]:
    """The operator's unscoped session; admin paths do not exist without RELANCE_ADMIN_TOKEN."""
    expected = request.app.state.settings.admin_token
    if not expected:
        raise HTTPException(404, "Not Found")
    failures = request.app.state.admin_failures
    address = request.client.host if request.client else "unknown"
    if await failures.exhausted(address):
        raise RateLimited(
            "Too many failed admin attempts; retry in a minute", retry_after_seconds=60
        )
    given = bearer_token(authorization) or ""
    if not hmac.compare_digest(given.encode(), expected.encode()):
        await failures.record_failure(address)
        raise Unauthorized("Missing or invalid admin token")
    async with _database(request).session(write=request.method not in _READ_METHODS) as session:
        mark_unscoped(session)
        yield session


TenantSession = Annotated[AsyncSession, Depends(tenant_session, scope="function")]
AdminSession = Annotated[AsyncSession, Depends(admin_session, scope="function")]


def path_id(raw: str, what: str) -> uuid.UUID:
    """A path id; one that is not a UUID names nothing, so it is a 404 like an unknown one."""
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise NotFound(f"{what} not found") from None
