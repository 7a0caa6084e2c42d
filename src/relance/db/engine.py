"""The engine for SQLite (embedded default) or PostgreSQL, and a statement counter."""

import os
import socket

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from relance.db import sqlite_driver
from relance.db.checkpoints import sqlite_file
from relance.db.dialect import configure_engine

DEFAULT_TIMEOUT_S = 5.0


def create_engine(
    url: str, *, echo: bool = False, timeout_s: float = DEFAULT_TIMEOUT_S
) -> AsyncEngine:
    """An engine configured for its dialect (``relance.db.dialect``), every wait bounded by
    ``timeout_s``: connecting, waiting for a pooled connection, each statement, and on
    SQLite waiting for the write lock. Statement parameters (tenants' data) never appear
    in an error's text, so a logged error cannot leak them."""
    engine = create_async_engine(
        url, echo=echo, hide_parameters=True, **_engine_options(url, timeout_s)
    )
    configure_engine(engine)
    return engine


def _engine_options(url: str, timeout_s: float) -> dict[str, object]:
    if url.startswith("sqlite"):
        # The busy timeout makes a second writer wait for the lock instead of failing.
        options: dict[str, object] = {"connect_args": {"timeout": timeout_s}}
        if make_url(url).get_driver_name() == "aiosqlite":
            options["module"] = sqlite_driver.module()
        return options
    return {
        "pool_size": 10,
        "max_overflow": 10,
        "pool_timeout": timeout_s,
        # asyncpg: `timeout` bounds connecting, `command_timeout` every statement.
        "connect_args": {"timeout": timeout_s, "command_timeout": timeout_s},
    }


def connections_in_use(engine: AsyncEngine) -> int:
    """How many of the engine's pooled connections are checked out now."""
    checkedout = getattr(engine.sync_engine.pool, "checkedout", None)
    return checkedout() if checkedout else 0


def describe(url: str) -> str:
    """Where ``url`` points, for a person: ``the SQLite database at /srv/relance.db`` (a
    relative path made absolute), ``the PostgreSQL database at postgresql://u:***@h/db``."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database in (None, "", ":memory:"):
            return "an in-memory SQLite database"
        return f"the SQLite database at {os.path.abspath(parsed.database)}"
    shown = parsed.set(drivername=parsed.get_backend_name()).render_as_string(hide_password=True)
    return f"the PostgreSQL database at {shown}"


def missing_directory(url: str) -> str | None:
    """The directory a SQLite file would be created in, when it does not exist. Checked
    before connecting: SQLite's own error ("unable to open database file") says less, and
    aiosqlite can leave a thread behind that outlives the event loop."""
    path = sqlite_file(url)
    if path is None:
        return None
    directory = os.path.dirname(os.path.abspath(path))
    return None if os.path.isdir(directory) else directory


def unreachable_reason(error: BaseException, *, connecting: bool = False) -> str | None:
    """Why the database could not be reached, in a few words; None when ``error`` is not
    a failure to connect to it or to open it. While ``connecting`` (the first statement
    a command sends), any error of the database's driver is one: a role or a database
    that does not exist, a password refused."""
    root = error.orig if isinstance(error, DBAPIError) and error.orig is not None else error
    if isinstance(root, ConnectionRefusedError):
        return "connection refused"
    if isinstance(root, socket.gaierror):
        return "unknown host"
    if isinstance(root, TimeoutError):
        return "timed out"
    if isinstance(error, OSError | OperationalError | InterfaceError) or (
        connecting and isinstance(error, DBAPIError)
    ):
        text = str(root).strip()
        return text.splitlines()[0] if text else type(root).__name__
    return None


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
