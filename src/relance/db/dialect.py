"""Everything that differs between SQLite and PostgreSQL lives here."""

import functools
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, overload

import orjson
from sqlalchemy import String, Text, bindparam, cast, event, func, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import DeclarativeBase


def configure_engine(engine: AsyncEngine) -> None:
    """Per-dialect connection set-up: SQLite's pragmas and write-transaction locking."""
    if engine.dialect.name != "sqlite":
        return
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A write transaction takes the write lock up front: a deferred one that reads
        # first and writes later fails with SQLITE_BUSY when another writer got in
        # between, and WAL readers are never blocked by it anyway.
        write = conn.get_execution_options().get("relance_write", True)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def dialect_name(session: AsyncSession) -> str:
    """``"sqlite"`` or ``"postgresql"``: the database the session talks to."""
    return session.get_bind().dialect.name


def insert_ignoring_conflicts(
    session: AsyncSession,
    model: type[DeclarativeBase],
    *,
    conflict_columns: list[str],
    returning: tuple[str, ...] = (),
) -> Any:
    """``INSERT ... ON CONFLICT (columns) DO NOTHING`` into the model's table, in the
    session's dialect, returning the ``returning`` columns of the rows inserted. A Core
    statement: give it the rows at execution (``session.execute(statement, rows)``), which
    SQLAlchemy sends as one multi-row INSERT per thousand rows, compiled once for every
    batch of them. Built once per shape: building costs more than the cached execution."""
    return _ignoring_conflicts(
        dialect_name(session), model.__table__, tuple(conflict_columns), returning
    )


@functools.cache
def _ignoring_conflicts(
    dialect: str, table: Any, conflict_columns: tuple[str, ...], returning: tuple[str, ...]
) -> Any:
    module = postgresql if dialect == "postgresql" else sqlite
    statement = module.insert(table).on_conflict_do_nothing(index_elements=list(conflict_columns))
    return statement.returning(*(table.c[name] for name in returning)) if returning else statement


def insert_adding_on_conflict(
    session: AsyncSession,
    model: type[DeclarativeBase],
    *,
    conflict_columns: list[str],
    add_to: str,
) -> Any:
    """``INSERT ... ON CONFLICT (columns) DO UPDATE SET add_to = add_to + excluded.add_to``
    into the model's table, in the session's dialect: counter rows created or moved by a
    delta, whatever a concurrent transaction did to them first. Rows are given at
    execution, and the statement built once per shape, as for
    ``insert_ignoring_conflicts``."""
    return _adding_on_conflict(
        dialect_name(session), model.__table__, tuple(conflict_columns), add_to
    )


@functools.cache
def _adding_on_conflict(
    dialect: str, table: Any, conflict_columns: tuple[str, ...], add_to: str
) -> Any:
    module = postgresql if dialect == "postgresql" else sqlite
    statement = module.insert(table)
    return statement.on_conflict_do_update(
        index_elements=list(conflict_columns),
        set_={add_to: table.c[add_to] + statement.excluded[add_to]},
    )


def json_rows(dialect: str, columns: Sequence[Any], order_by: Sequence[Any]) -> Any:
    """An aggregate of the group's rows as one JSON array of arrays of ``columns``, as
    text, read back with ``read_json_rows``: ``json_agg(json_build_array(...) ORDER BY
    ...)::text`` on PostgreSQL, ``json_group_array(json_array(...))`` on SQLite, which
    before 3.44 cannot order inside an aggregate (``read_json_rows`` sorts its rows).

    Text, not the driver's decoded JSON: asyncpg would decode it in the event loop, while
    the page is read from text where it is shaped (off the loop, with orjson)."""
    if dialect == "postgresql":
        aggregate = func.json_agg(aggregate_order_by(func.json_build_array(*columns), *order_by))
        return cast(aggregate, Text)
    return func.json_group_array(func.json_array(*columns))


def read_json_rows(
    dialect: str, value: str | None, *, key: Callable[[list], Any], reverse: bool = False
) -> list[list]:
    """What ``json_rows`` returned (NULL for no rows on PostgreSQL). PostgreSQL's rows come
    in the aggregate's order; SQLite's are sorted here by ``key`` (and ``reverse``), the
    aggregate's ORDER BY in Python: SQLite compares text by its bytes (the BINARY
    collation), in the order Python compares strings."""
    if value is None:
        return []
    rows = orjson.loads(value)
    return rows if dialect == "postgresql" else sorted(rows, key=key, reverse=reverse)


def json_uuid(value: str) -> str:
    """A UUID as the database writes it into JSON (32 hex digits on SQLite, how it stores
    them; the hyphenated form on PostgreSQL), in the hyphenated form, as text: a page
    shows thousands of them, and parsing each into a ``uuid.UUID`` only to print it again
    was most of a large page's time."""
    if len(value) == 32:
        return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"
    return value


@overload
def json_timestamp(value: str) -> datetime: ...
@overload
def json_timestamp(value: str | None) -> datetime | None: ...
def json_timestamp(value: str | None) -> datetime | None:
    """A ``UTCDateTime`` as the database writes it into JSON: ``2026-12-01 10:30:00.123000``
    on SQLite (how it stores them), ``2026-12-01T10:30:00.123`` on PostgreSQL; both UTC."""
    return None if value is None else datetime.fromisoformat(value).replace(tzinfo=UTC)


@overload
def json_timestamp_iso(value: str) -> str: ...
@overload
def json_timestamp_iso(value: str | None) -> str | None: ...
def json_timestamp_iso(value: str | None) -> str | None:
    """What ``json_timestamp`` reads, written as ``isoformat(timespec="milliseconds")``
    writes it (UTC, without the offset), from the text alone: a page shows thousands of
    them, and parsing each only to print it again was a third of encoding a page. Stored
    times are whole milliseconds (``db.types``); PostgreSQL drops a fraction's trailing
    zeros, and all of it when it is zero."""
    if value is None:
        return None
    return f"{value[:10]}T{value[11:19]}.{value[20:23]:0<3}"


async def lock_workspace_contacts(session: AsyncSession, workspace_id: uuid.UUID) -> None:
    """Hold, until commit, the right to create contacts by email or number in a workspace.

    Two concurrent requests would otherwise both miss an email and both create it. On
    PostgreSQL a transaction-scoped advisory lock keyed by the workspace; SQLite write
    transactions already hold the database's write lock (see configure_engine).
    """
    if dialect_name(session) == "postgresql":
        # The lock key is a signed 64-bit integer: the workspace id's first 8 bytes.
        key = int.from_bytes(workspace_id.bytes[:8], "big", signed=True)
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


# PostgreSQL's serialization_failure and deadlock_detected: the transaction was rolled back
# only because of a concurrent one, and the same work run again can succeed.
_TRANSIENT_SQLSTATES = frozenset({"40001", "40P01"})


def is_transient_conflict(error: BaseException) -> bool:
    """Whether ``error`` is a transaction aborted by a concurrent one, safe to run again.

    SQLite never raises one: its writers queue on the database lock (busy timeout).
    """
    if not isinstance(error, DBAPIError):
        return False
    return getattr(error.orig, "sqlstate", None) in _TRANSIENT_SQLSTATES


# PostgreSQL refusing work for a while: starting up or shutting down, out of connections.
_UNAVAILABLE_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "53300"})
# SQLite: the write lock not granted within the busy timeout; the file not reachable.
_UNAVAILABLE_SQLITE = ("database is locked", "unable to open database file", "disk I/O error")


def is_unavailable(error: BaseException) -> bool:
    """Whether ``error`` means the database could not be reached or did not answer in time.

    Such a request did nothing that lasts (its transaction never committed, or the server
    rolls it back), so it answers 503 and may be retried. Timeouts are the engine's
    (connect, pool checkout, statement: ``db.engine``) and the session's deadline.
    """
    if isinstance(error, (TimeoutError, PoolTimeout, OSError)):
        return True
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    original = error.orig
    if getattr(original, "sqlstate", None) in _UNAVAILABLE_SQLSTATES:
        return True
    if isinstance(original, (TimeoutError, OSError)):
        return True
    return any(message in str(original) for message in _UNAVAILABLE_SQLITE)


def in_values(dialect: str, column: Any, name: str) -> Any:
    """``column IN (values)`` with the values as one bound parameter, ``name``, however
    many: a PostgreSQL array (``= ANY``), a JSON array on SQLite (``json_each``), given at
    execution as ``bound_values`` makes them. Hundreds of separate parameters cost more to
    bind than the query costs to run."""
    if dialect == "postgresql":
        return column == func.any(bindparam(name, type_=postgresql.ARRAY(String())))
    each = func.json_each(bindparam(name, type_=String()))
    return column.in_(select(each.table_valued("value").c.value))


def bound_values(dialect: str, values: Sequence[str]) -> Any:
    """The parameter of an ``in_values`` condition."""
    return list(values) if dialect == "postgresql" else orjson.dumps(list(values)).decode()


def claiming(session: AsyncSession, statement: Any, *, of: Any) -> Any:
    """``statement`` (a SELECT of rows to work on) claiming them for this transaction: on
    PostgreSQL ``FOR UPDATE OF ... SKIP LOCKED``, so that concurrent claimers each get rows
    no other holds; SQLite's one writer (``BEGIN IMMEDIATE``) serializes claimers instead."""
    if dialect_name(session) == "postgresql":
        return statement.with_for_update(of=of, skip_locked=True)
    return statement
