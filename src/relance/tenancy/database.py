"""The database as the rest of Relance sees it: every session either scoped to a tenant
(``relance.tenancy.scope``) or unscoped by name, committed when its block succeeds."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from relance.db.dialect import is_unavailable
from relance.db.engine import DEFAULT_TIMEOUT_S, create_engine
from relance.db.migrate import schema_revision
from relance.tenancy.scope import ScopedSession, TenantScope, bind_scope, mark_unscoped

# The transaction's deadline past the driver's timeouts (see ``Database.session``).
_DEADLINE_MARGIN_S = 0.5
# How long a connection being discarded may take to say goodbye to the server; past it,
# the driver drops it (a hung server would otherwise hold the answer for seconds more).
_DISCARD_GRACE_S = 0.1


async def _discard(session: AsyncSession) -> None:
    """Close the session's connections without a rollback, and without waiting on them."""
    try:
        async with asyncio.timeout(_DISCARD_GRACE_S):
            await session.invalidate()
    except TimeoutError:
        pass  # interrupted mid-goodbye, the driver has terminated the connection


class Database:
    """One engine and its session factory, created once per process."""

    def __init__(
        self, url: str, *, echo: bool = False, timeout_s: float = DEFAULT_TIMEOUT_S
    ) -> None:
        self.url = url
        self.timeout_s = timeout_s
        self.engine: AsyncEngine = create_engine(url, echo=echo, timeout_s=timeout_s)
        self._sessions = async_sessionmaker(
            self.engine, expire_on_commit=False, sync_session_class=ScopedSession
        )

    @asynccontextmanager
    async def scoped_session(
        self, scope: TenantScope, *, write: bool = True
    ) -> AsyncIterator[AsyncSession]:
        """A transaction whose every ORM query is filtered to ``scope``."""
        async with self.session(write=write) as session:
            bind_scope(session, scope)
            yield session

    @asynccontextmanager
    async def unscoped_session(self, *, write: bool = True) -> AsyncIterator[AsyncSession]:
        """A transaction that sees every tenant: provisioning, authentication, the CLI."""
        async with self.session(write=write) as session:
            mark_unscoped(session)
            yield session

    @asynccontextmanager
    async def session(self, *, write: bool) -> AsyncIterator[AsyncSession]:
        """One transaction, committed when the block succeeds and rolled back otherwise.

        Each wait is bounded by ``timeout_s`` (``db.engine``), and the whole transaction,
        from checking a connection out to the commit, by a deadline just after it, for the
        waits that add up: past either, TimeoutError (a 503). The driver's own timeouts
        come first, as a statement cancelled by the deadline makes the driver spend seconds
        closing its connection politely. A connection that timed out is in an unknown
        state: it is closed rather than rolled back, which could wait on the database again.

        The caller must give it a scope (``bind_scope``) or ``mark_unscoped`` before querying.
        """
        async with self._sessions() as session:
            try:
                async with asyncio.timeout(self.timeout_s + _DEADLINE_MARGIN_S):
                    await session.connection(execution_options={"relance_write": write})
                    yield session
                    await session.commit()
            except BaseException as error:
                if is_unavailable(error) or isinstance(error, asyncio.CancelledError):
                    await _discard(session)
                else:
                    await session.rollback()
                raise

    async def schema_revision(self) -> str | None:
        """The revision the schema is at, read within the timeout (or the error saying why
        the database is unavailable)."""
        async with self.unscoped_session(write=False) as session:
            return await schema_revision(session)

    async def dispose(self) -> None:
        await self.engine.dispose()
