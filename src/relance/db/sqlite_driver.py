"""aiosqlite as SQLAlchemy's DBAPI: no thread hop for a quick read, one for any other
statement (SQLAlchemy's own adapter makes four).

aiosqlite runs each call of a sqlite3 connection on the connection's own thread, and
each call is a round trip between the event loop and that thread. SQLAlchemy's adapter
makes four per statement (open a cursor, execute, fetch every row, close the cursor),
and one more for each BEGIN, COMMIT and the pool's ROLLBACK on check-in. Here a statement
is one call that does all four on the thread and brings back the rows with the cursor's
description, row count and last row id; a ROLLBACK outside any transaction makes no
call at all. Rows are fetched whole, as SQLAlchemy's own adapter does for every cursor
but a server-side one, which keeps aiosqlite's cursor (``AsyncAdapt_aiosqlite_ss_cursor``).

A read that is quick runs on the event loop itself, with no hop at all: the round trip
to the thread and back costs about a quarter of a millisecond on these machines, ten
times what a read of a few rows by key costs SQLite. What may run there:

- a ``SELECT``, and a deferred ``BEGIN`` (which takes no lock). Under WAL a reader never
  waits for a writer, so neither waits on anything but the disk (and, rarely, on another
  process rebuilding the WAL's index after a crash, which SQLite's busy timeout bounds);
- within a budget (``INLINE_BUDGET_S``): SQLite's progress handler interrupts a read that
  outruns it, which leaves the transaction as it was, and the read runs again on the
  thread, where the runs of that statement go for a while (``_SLOW``, by its text; a
  read that was only unlucky, on a machine busy at that moment, comes back);
- the COMMIT of a transaction that ran nothing else (a read's, which writes nothing).

Everything that can wait for the write lock or write to disk (``BEGIN IMMEDIATE``, the
writes, their COMMIT, every ROLLBACK) stays on the thread.

``module()`` is given to ``create_async_engine(module=...)`` for ``sqlite+aiosqlite``
URLs (``db.engine``), so the dialect and the URL stay SQLAlchemy's own.
"""

import collections
import sqlite3
import time
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)


class _Finished:
    """What a sqlite3 cursor left behind once its statement ran and its rows were read."""

    __slots__ = ("arraysize", "description", "lastrowid", "rowcount")

    def __init__(self) -> None:
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self.arraysize = 1


def _run(
    raw: sqlite3.Connection, operation: str, parameters: Any, many: bool
) -> tuple[Any, int, int | None, list[Any] | None]:
    """On the connection's thread: the statement, its rows, and what its cursor says."""
    cursor = raw.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        rows = cursor.fetchall() if cursor.description else None
        return cursor.description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


# How long a read may hold the event loop before it is sent to the thread instead, and how
# often (in SQLite's virtual machine instructions) the progress handler looks at the clock.
INLINE_BUDGET_S = 0.002
_PROGRESS_EVERY = 1000
# The texts of reads that outran the budget, with when to try them on the loop again
# (bounded: cleared when it fills up).
_SLOW: dict[str, float] = {}
_SLOW_MAX = 1024
_SLOW_FOR_S = 10.0


def _may_run_inline(operation: str) -> bool:
    """A statement that takes no lock and writes nothing: a read, or a deferred BEGIN."""
    return operation.startswith("SELECT") or operation == "BEGIN"


def _run_inline(
    raw: sqlite3.Connection, operation: str, parameters: Any
) -> tuple[Any, int, int | None, list[Any] | None] | None:
    """``_run`` on the event loop, or None if the statement outran the budget (it then did
    nothing: a read interrupted leaves its transaction as it was)."""
    deadline = time.perf_counter() + INLINE_BUDGET_S
    raw.set_progress_handler(lambda: time.perf_counter() > deadline, _PROGRESS_EVERY)
    try:
        return _run(raw, operation, parameters, False)
    except sqlite3.OperationalError as error:
        if str(error) != "interrupted":
            raise
        if len(_SLOW) >= _SLOW_MAX:
            _SLOW.clear()
        _SLOW[operation] = time.monotonic() + _SLOW_FOR_S
        return None
    finally:
        raw.set_progress_handler(None, 0)


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    """A client-side cursor: each statement runs on the loop (a quick read) or as one call
    on aiosqlite's thread."""

    __slots__ = ()

    def _make_new_cursor(self, connection: Any) -> Any:
        return _Finished()

    def _aenter_cursor(self, cursor: Any) -> Any:
        return cursor

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        return await self._call(operation, parameters, many=False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        return await self._call(operation, seq_of_parameters, many=True)

    async def _call(self, operation: Any, parameters: Any, *, many: bool) -> None:
        connection: Any = self._connection  # an aiosqlite.Connection
        adapted: Any = self._adapt_connection  # a OneHopConnection
        async with adapted._execute_mutex:
            done = None
            if many or not _may_run_inline(operation):
                adapted.left_the_loop = True
            elif _SLOW.get(operation, 0.0) < time.monotonic():
                done = _run_inline(connection._conn, operation, parameters)
            if done is None:
                done = await connection._execute(
                    _run, connection._conn, operation, parameters, many
                )
            description, rowcount, lastrowid, rows = done
        finished: Any = self._cursor  # a _Finished
        finished.description, finished.rowcount, finished.lastrowid = (
            description,
            rowcount,
            lastrowid,
        )
        self._rows = collections.deque(rows or ())

    async def _async_soft_close(self) -> None:
        """Nothing to close on the thread: the statement's cursor closed when it ran."""

    def close(self) -> None:
        """Only the rows to drop: there is no cursor left on the thread to close."""
        self._rows.clear()


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    """aiosqlite's connection with ``OneHopCursor``; a ROLLBACK with no transaction open
    (the pool's reset after a COMMIT) makes no call on the thread, and the COMMIT of a
    transaction that ran only what may run on the loop is made there."""

    __slots__ = ("left_the_loop",)
    _cursor_cls = OneHopCursor

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        # Whether the transaction ran a statement that may not run on the loop.
        self.left_the_loop = False

    def commit(self) -> None:
        raw = self._connection._connection
        try:
            if raw is not None and raw.in_transaction and not self.left_the_loop:
                try:
                    raw.commit()
                except Exception as error:
                    self._handle_exception(error)
            elif raw is not None and raw.in_transaction:
                super().commit()
        finally:
            self.left_the_loop = False

    def rollback(self) -> None:
        raw = self._connection._connection
        self.left_the_loop = False
        if raw is not None and raw.in_transaction:
            super().rollback()


class _DBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> OneHopConnection:
        # Quick reads run on the event loop's thread (see the module's docstring); the
        # connection is only ever used by one of the two threads at a time.
        kw["check_same_thread"] = False
        adapted = super().connect(*arg, **kw)
        return OneHopConnection(self, adapted._connection)


def module() -> _DBAPI:
    """The DBAPI module for ``create_async_engine(module=...)``."""
    return _DBAPI(aiosqlite, sqlite3)
