"""The database as the rest of Relance sees it: every session either scoped to a tenant
(``relance.tenancy.scope``) or unscoped by name, committed when its block succeeds."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from relance.db.engine import create_engine
from relance.tenancy.scope import ScopedSession, TenantScope, bind_scope, mark_unscoped


class Database:
    """One engine and its session factory, created once per process."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.engine: AsyncEngine = create_engine(url, echo=echo)
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

        The caller must give it a scope (``bind_scope``) or ``mark_unscoped`` before querying.
        """
        async with self._sessions() as session:
            await session.connection(execution_options={"relance_write": write})
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise

    async def dispose(self) -> None:
        await self.engine.dispose()
