"""SQLite's driver (``db.sqlite_driver``): quick reads on the event loop, at most one call
on aiosqlite's thread per statement otherwise, and everything SQLAlchemy reads from a
cursor as its own adapter gave it."""

import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import aiosqlite
import pytest

from relance.db import sqlite_driver
from sqlalchemy import exc, text

from relance.db.engine import count_statements
from relance.tenancy.database import Database


@contextmanager
def thread_calls() -> Iterator[list[str]]:
    """The calls made on aiosqlite's connection threads meanwhile, by function name."""
    calls: list[str] = []
    original = aiosqlite.Connection._execute

    async def counting(self, fn, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        calls.append(getattr(fn, "__name__", repr(fn)))
        return await original(self, fn, *args, **kwargs)

    aiosqlite.Connection._execute = counting  # type: ignore[method-assign]
    try:
        yield calls
    finally:
        aiosqlite.Connection._execute = original  # type: ignore[method-assign]


@pytest.fixture
async def sqlite(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}")
    async with database.unscoped_session() as session:
        await session.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE)"))
    yield database
    await database.dispose()


async def test_a_read_transaction_never_leaves_the_event_loop(sqlite: Database) -> None:
    async with sqlite.unscoped_session(write=False) as session:
        await session.execute(text("SELECT 1"))  # the pool's connection exists
    with thread_calls() as calls:
        async with sqlite.unscoped_session(write=False) as session:
            assert await session.scalar(text("SELECT count(*) FROM t")) == 0
            await session.execute(text("SELECT name FROM t"))
    # BEGIN, the two reads and the COMMIT on the loop; the pool's ROLLBACK has nothing to end.
    assert calls == []


async def test_a_write_transaction_sends_what_may_wait_to_the_thread(sqlite: Database) -> None:
    async with sqlite.unscoped_session(write=False) as session:
        await session.execute(text("SELECT 1"))
    with thread_calls() as calls:
        async with sqlite.unscoped_session(write=True) as session:
            await session.execute(text("INSERT INTO t (name) VALUES ('w')"))
            assert await session.scalar(text("SELECT count(*) FROM t")) == 1
    # BEGIN IMMEDIATE (which may wait for the write lock), the INSERT and the COMMIT; the
    # read between them ran on the loop, in the same transaction (it saw the INSERT).
    assert calls == ["_run", "_run", "commit"], calls
    async with sqlite.unscoped_session(write=False) as session:
        assert await session.scalar(text("SELECT name FROM t")) == "w"


async def test_a_read_that_outruns_the_budget_runs_again_on_the_thread(
    sqlite: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Thousands of rows of a recursive count take far more than a microsecond.
    monkeypatch.setattr(sqlite_driver, "INLINE_BUDGET_S", 0.000001)
    monkeypatch.setattr(sqlite_driver, "_SLOW", {})
    slow = text(
        "SELECT count(*) FROM (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
        "WHERE i < 200000) SELECT i FROM n)"
    )
    async with sqlite.unscoped_session(write=True) as session:
        await session.execute(text("INSERT INTO t (name) VALUES ('kept')"))
        with thread_calls() as calls:
            assert await session.scalar(slow) == 200000
            assert await session.scalar(slow) == 200000
        # Interrupted on the loop, the read left the transaction as it was.
        assert await session.scalar(text("SELECT name FROM t")) == "kept"
    # Each ran once on the thread: the first after its interrupted try, the second at once.
    assert calls == ["_run", "_run"], calls
    assert list(sqlite_driver._SLOW) == [str(slow)]
    # Some time later it is tried on the loop again (where it is interrupted again).
    monkeypatch.setattr(sqlite_driver, "_SLOW", {str(slow): 0.0})
    monkeypatch.setattr(sqlite_driver, "INLINE_BUDGET_S", 60.0)
    async with sqlite.unscoped_session(write=False) as session:
        with thread_calls() as calls:
            assert await session.scalar(slow) == 200000
    assert calls == []


async def test_cursors_answer_as_sqlalchemy_expects(sqlite: Database) -> None:
    async with sqlite.unscoped_session() as session:
        inserted = await session.execute(text("INSERT INTO t (name) VALUES ('a')"))
        assert inserted.lastrowid == 1
        many = await session.execute(
            text("INSERT INTO t (name) VALUES (:name)"), [{"name": n} for n in "bcd"]
        )
        assert many.rowcount == 3
        updated = await session.execute(text("UPDATE t SET name = name || '!' WHERE id > 2"))
        assert updated.rowcount == 2
        rows = await session.execute(text("SELECT id, name FROM t ORDER BY id"))
        assert list(rows.keys()) == ["id", "name"]
        assert rows.fetchone() == (1, "a")
        assert rows.fetchmany(2) == [(2, "b"), (3, "c!")]
        assert rows.fetchall() == [(4, "d!")]
        empty = await session.execute(text("SELECT id FROM t WHERE id < 0"))
        assert empty.all() == []
        streamed = await session.stream(text("SELECT id FROM t ORDER BY id"))
        assert [row[0] async for row in streamed] == [1, 2, 3, 4]


async def test_a_failed_statement_raises_sqlalchemys_error_and_the_transaction_rolls_back(
    sqlite: Database,
) -> None:
    name = uuid.uuid4().hex
    with pytest.raises(exc.IntegrityError):
        async with sqlite.unscoped_session() as session:
            await session.execute(text("INSERT INTO t (name) VALUES (:n)"), {"n": name})
            await session.execute(text("INSERT INTO t (name) VALUES (:n)"), {"n": name})
    async with sqlite.unscoped_session(write=False) as session:
        found = await session.scalar(text("SELECT count(*) FROM t WHERE name = :n"), {"n": name})
    assert found == 0


async def test_an_api_read_makes_no_thread_call_and_a_write_one_per_write(
    tenants, database, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if backend != "sqlite":
        pytest.skip("aiosqlite's thread is SQLite's")
    # Where each statement goes, not how long it takes on a machine shared with other tests.
    monkeypatch.setattr(sqlite_driver, "INLINE_BUDGET_S", 60.0)
    monkeypatch.setattr(sqlite_driver, "_SLOW", {})
    tenant = await tenants.create()
    sequence = await tenant.sequence()
    path = f"/v1/sequences/{sequence}"
    assert (await tenant.get(path)).status_code == 200
    with count_statements(database.engine) as counter, thread_calls() as calls:
        response = await tenant.get(path)
    assert response.status_code == 200
    assert counter.count >= 3 and calls == [], (calls, counter.statements)
    with count_statements(database.engine) as counter, thread_calls() as calls:
        response = await tenant.patch(path, json={"name": "renamed"})
    assert response.status_code == 200, response.text
    writes = [s for s in counter.statements if not s.startswith(("SELECT", "BEGIN"))]
    # BEGIN IMMEDIATE, each write, the COMMIT; the reads (the key's among them) on the loop.
    assert writes and len(calls) == 1 + len(writes) + 1, (calls, counter.statements)
