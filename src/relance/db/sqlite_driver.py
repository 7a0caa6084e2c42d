"""aiosqlite as SQLAlchemy's DBAPI, one thread hop per statement instead of four.

aiosqlite runs each call of a sqlite3 connection on the connection's own thread, and
each call is a round trip between the event loop and that thread. SQLAlchemy's adapter
makes four per statement (open a cursor, execute, fetch every row, close the cursor),
and one more for each BEGIN, COMMIT and the pool's ROLLBACK on check-in. Here a statement
is one call that does all four on the thread and brings back the rows with the cursor's
description, row count and last row id; a ROLLBACK outside any transaction makes no
call at all. Rows are fetched whole, as SQLAlchemy's own adapter does for every cursor
but a server-side one, which keeps aiosqlite's cursor (``AsyncAdapt_aiosqlite_ss_cursor``).

``module()`` is given to ``create_async_engine(module=...)`` for ``sqlite+aiosqlite``
URLs (``db.engine``), so the dialect and the URL stay SQLAlchemy's own.
"""

import collections
import sqlite3
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


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    """A client-side cursor whose every statement is one call on aiosqlite's thread."""

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
        async with self._adapt_connection._execute_mutex:
            description, rowcount, lastrowid, rows = await connection._execute(
                _run, connection._conn, operation, parameters, many
            )
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
    (the pool's reset after a COMMIT) makes no call on the thread."""

    __slots__ = ()
    _cursor_cls = OneHopCursor

    def rollback(self) -> None:
        raw = self._connection._connection
        if raw is not None and raw.in_transaction:
            super().rollback()


class _DBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> OneHopConnection:
        adapted = super().connect(*arg, **kw)
        return OneHopConnection(self, adapted._connection)


def module() -> _DBAPI:
    """The DBAPI module for ``create_async_engine(module=...)``."""
    return _DBAPI(aiosqlite, sqlite3)
