"""SQLite's driver (``db.sqlite_driver``): one call on aiosqlite's thread per statement,
and everything SQLAlchemy reads from a cursor as its own adapter gave it."""

import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import aiosqlite
import pytest
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


async def test_a_read_transaction_is_a_call_per_statement_with_no_rollback_after_its_commit(
    sqlite: Database,
) -> None:
    async with sqlite.unscoped_session(write=False) as session:
        await session.execute(text("SELECT 1"))  # the pool's connection exists
    with thread_calls() as calls:
        async with sqlite.unscoped_session(write=False) as session:
            await session.execute(text("SELECT count(*) FROM t"))
            await session.execute(text("SELECT name FROM t"))
    # BEGIN, the two statements, COMMIT: the pool's ROLLBACK on check-in has nothing to end.
    assert len(calls) == 4, calls


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


async def test_an_api_read_makes_one_thread_call_per_statement(
    tenants, database, backend: str
) -> None:
    if backend != "sqlite":
        pytest.skip("aiosqlite's thread is SQLite's")
    tenant = await tenants.create()
    sequence = await tenant.sequence()
    path = f"/v1/sequences/{sequence}"
    assert (await tenant.get(path)).status_code == 200
    with count_statements(database.engine) as counter, thread_calls() as calls:
        response = await tenant.get(path)
    assert response.status_code == 200
    # Each statement (BEGIN included) is one call; then the COMMIT.
    assert len(calls) == counter.count + 1, (calls, counter.statements)
