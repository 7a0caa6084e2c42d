"""Everything that differs between SQLite and PostgreSQL lives here."""

import functools
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import orjson
from sqlalchemy import (
    BigInteger,
    ScalarSelect,
    Select,
    String,
    Text,
    bindparam,
    case,
    cast,
    event,
    func,
    literal_column,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import DeclarativeBase

from relance.db.checkpoints import SAFETY_PAGES


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
        # Commits leave the log to the served process's checkpointer (``db.checkpoints``).
        cursor.execute(f"PRAGMA wal_autocheckpoint={SAFETY_PAGES}")
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


# JSON built by the database itself, for a page that only shows what it reads: the page's
# items come out of the statement as the wire's JSON text (``sequences.repository``), and
# Python parses and formats nothing of them.


def json_object(dialect: str, pairs: dict[str, Any]) -> Any:
    """A JSON object of ``pairs`` (keys in this order): ``json_object`` on SQLite,
    ``json_build_object`` on PostgreSQL (as text, where it is the statement's result:
    ``json_text``). Its values are columns, ``json_*`` below, or nested objects."""
    arguments = [part for key, value in pairs.items() for part in (_constant(key), value)]
    if dialect == "postgresql":
        return func.json_build_object(*arguments)
    return func.json_object(*arguments)


def json_array(
    dialect: str,
    rows: Select,
    element: Callable[[Any], Any],
    order: Callable[[Any], list[Any]],
    *,
    limit: int | None = None,
) -> ScalarSelect:
    """For a page's statement: ``rows`` as one JSON array of ``element(columns)``, in the
    order of ``order(columns)`` (both given the rows' columns), at most ``limit`` of them,
    empty (never NULL) without rows. PostgreSQL orders the aggregate. SQLite before 3.44
    cannot; it takes the rows of a subquery in the subquery's order (it keeps a subquery's
    ORDER BY under an aggregate that depends on the order, as ``json_group_array`` does),
    so there the subquery is ordered instead (sorting twice costs PostgreSQL a sort per
    array)."""
    if limit is not None:
        rows = rows.order_by(*order(rows.selected_columns)).limit(_number(limit))
    elif dialect != "postgresql" and order(rows.selected_columns):
        rows = rows.order_by(*order(rows.selected_columns))
    columns = rows.subquery().c
    if dialect == "postgresql":
        by = order(columns)
        aggregate = func.json_agg(
            aggregate_order_by(element(columns), *by) if by else element(columns)
        )
        array: Any = func.coalesce(aggregate, cast(_constant("[]"), postgresql.JSON))
    else:
        array = func.json_group_array(element(columns))
    return select(array).scalar_subquery()


def json_nested(dialect: str, value: Any) -> Any:
    """A scalar subquery's JSON (``json_array``) as a value of a ``json_object``:
    SQLite marks it as JSON again (a value may lose the mark on its way out of a
    subquery, and would then be nested as a string)."""
    return value if dialect == "postgresql" else func.json(value)


def json_text(dialect: str, value: Any) -> Any:
    """The statement's JSON result as text, which the page joins as it is: not decoded
    into Python by the driver (asyncpg would decode ``json`` on the event loop)."""
    return cast(value, Text) if dialect == "postgresql" else value


def json_uuid(dialect: str, column: Any) -> Any:
    """A UUID column as the wire shows it, hyphenated: SQLite stores 32 hex digits."""
    if dialect == "postgresql":
        return column
    hyphenated: Any = func.substr(column, _number(1), _number(8))
    for start, length in ((9, 4), (13, 4), (17, 4), (21, 12)):
        part = func.substr(column, _number(start), _number(length))
        hyphenated = hyphenated.op("||")(_constant("-")).op("||")(part)
    return hyphenated


def json_timestamp(dialect: str, column: Any) -> Any:
    """A ``UTCDateTime`` column as ``api.schemas.format_timestamp`` writes it
    (``2024-01-15T10:30:00.000Z``), NULL for NULL. Stored times are whole milliseconds
    (``db.types``). asyncpg stores the first moment of year 1 (``datetime.min``) as
    ``-infinity``, which PostgreSQL writes as no time at all."""
    if dialect == "postgresql":
        return func.to_char(_finite(column), _constant('YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), type_=Text)
    return func.strftime(_constant("%Y-%m-%dT%H:%M:%fZ"), column, type_=Text)


def json_whole_seconds(dialect: str, started: Any, ended: Any) -> Any:
    """The whole seconds from ``started`` to ``ended``, rounded down (as
    ``calls.service.seconds_between``), NULL if either is. A call never ends before it
    starts (``calls.service``): SQLite's integer division, which truncates, rounds down."""
    if dialect == "postgresql":
        seconds = func.extract("epoch", _finite(ended) - _finite(started))
        return cast(func.floor(seconds), BigInteger)
    milliseconds = _sqlite_milliseconds(ended) - _sqlite_milliseconds(started)
    return milliseconds.self_group().op("/")(_number(1000))


def _finite(column: Any) -> Any:
    """A PostgreSQL time column with ``-infinity`` read as what asyncpg wrote it for."""
    first = literal_column("'0001-01-01'::timestamp", postgresql.TIMESTAMP())
    return case((column == _constant("-infinity"), first), else_=column)


def _sqlite_milliseconds(column: Any) -> Any:
    seconds = cast(func.strftime(_constant("%s"), column), BigInteger)
    fraction = cast(func.substr(func.strftime(_constant("%f"), column), _number(4)), BigInteger)
    return seconds * _number(1000) + fraction


def json_bool(dialect: str, column: Any) -> Any:
    """A boolean column as JSON's ``true`` or ``false``: SQLite stores 0 or 1."""
    if dialect == "postgresql":
        return column
    return func.json(case((column, _constant("true")), else_=_constant("false")))


def _constant(value: str) -> Any:
    """A string of the code's own as an SQL literal, not a parameter."""
    return literal_column("'" + value.replace("'", "''") + "'", Text)


def _number(value: int) -> Any:
    """An integer of the code's own as an SQL literal, not a parameter."""
    return literal_column(str(int(value)), BigInteger)


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


def in_few(dialect: str, column: Any, rows: Select) -> Any:
    """``column IN (rows)`` for a subquery of a handful of rows whose count the planner
    cannot estimate (a recursive CTE's). On PostgreSQL as ``= ANY(ARRAY(rows))``: an index
    lookup per value, where an IN may be planned as a hash join over the whole table."""
    if dialect == "postgresql":
        return column == func.any(func.ARRAY(rows.scalar_subquery()))
    return column.in_(rows)


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
