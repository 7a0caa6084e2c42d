"""The engine for SQLite (embedded default) or PostgreSQL, and a statement counter."""

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from relance.db.dialect import configure_engine


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """An engine configured for its dialect (``relance.db.dialect``)."""
    engine = create_async_engine(url, echo=echo, **_engine_options(url))
    configure_engine(engine)
    return engine


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
