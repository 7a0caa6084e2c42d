"""Engine and session factory for SQLite (embedded default) and PostgreSQL."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from relance.db.dialect import configure_engine
from relance.tenancy.scope import ScopedSession, TenantScope, bind_scope, mark_unscoped


class Database:
    """One engine and its session factory, created once per process."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.engine: AsyncEngine = create_async_engine(url, echo=echo, **_engine_options(url))
        configure_engine(self.engine)
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


def _engine_options(url: str) -> dict[str, object]:
    if url.startswith("sqlite"):
        # The busy timeout makes a second writer wait for the lock instead of failing.
        return {"connect_args": {"timeout": 30}}
    return {"pool_size": 10, "max_overflow": 10, "pool_pre_ping": True}


def count_statements(engine: AsyncEngine) -> "StatementCounter":
    return StatementCounter(engine)


class StatementCounter:
    """Counts the SQL statements an engine sends while it is active (tests and benchmarks)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine.sync_engine
        self.statements: list[str] = []

    def _record(self, conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        self.statements.append(statement)

    def __enter__(self) -> "StatementCounter":
        event.listen(self._engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self._engine, "before_cursor_execute", self._record)

    @property
    def count(self) -> int:
        return len(self.statements)
