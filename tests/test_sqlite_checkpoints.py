"""SQLite's log copied back into the database file by the served process, never by the
commit of a request (``db.checkpoints``)."""

import asyncio
import os
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text

from relance.api.app import create_app
from relance.db import checkpoints
from relance.db.checkpoints import Checkpointer
from relance.settings import Settings
from relance.tenancy.database import Database

PAGE = 4096
# One transaction's worth of log: 300 rows of a page each.
WRITE = text(
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300) "
    "INSERT INTO t (b) SELECT randomblob(3500) FROM n"
)


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'log.db'}")
    async with database.unscoped_session() as session:
        await session.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB)"))
    yield database
    await database.dispose()


def file_size(database: Database, suffix: str = "") -> int:
    return os.path.getsize(checkpoints.sqlite_file(database.url) + suffix)


async def write(database: Database, transactions: int) -> None:
    for _ in range(transactions):
        async with database.unscoped_session() as session:
            await session.execute(WRITE)


async def test_a_commit_leaves_the_log_to_the_checkpointer(database: Database) -> None:
    # 1,800 pages of log, where SQLite's own threshold would have had a commit copy it.
    await write(database, 6)
    assert file_size(database, "-wal") > 1_800 * PAGE
    assert file_size(database) < 100 * PAGE  # the table's rows are all still in the log


async def test_the_served_app_copies_the_log_back(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'served.db'}"
    app = create_app(Settings(database_url=url, webhook_delivery="off"))
    database: Database = app.state.database
    async with app.router.lifespan_context(app):
        async with database.unscoped_session() as session:
            await session.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB)"))
        await write(database, 6)
        async with asyncio.timeout(10):
            while file_size(database) < 1_800 * PAGE:
                await asyncio.sleep(0.05)
        # All of it copied: the next writer starts the log over, at its beginning.
        await asyncio.sleep(2 * checkpoints.CHECKPOINT_EVERY_S)
        await write(database, 1)
        checkpointer = Checkpointer(checkpoints.sqlite_file(url))
        try:
            assert checkpointer.checkpoint().frames < 400
        finally:
            checkpointer.close()


async def test_a_checkpoint_copies_the_whole_log(database: Database) -> None:
    await write(database, 3)
    checkpointer = Checkpointer(checkpoints.sqlite_file(database.url))
    try:
        done = checkpointer.checkpoint()
        assert not done.busy and done.frames >= 900 and done.copied == done.frames
        assert file_size(database) > 900 * PAGE
    finally:
        checkpointer.close()


async def test_a_long_log_is_reset_under_the_write_lock(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(checkpoints, "RESET_PAGES", 500)
    await write(database, 3)
    checkpointer = Checkpointer(checkpoints.sqlite_file(database.url))
    resets: list[checkpoints.Checkpointed] = []
    reset = checkpointer.reset

    def recorded() -> checkpoints.Checkpointed:
        resets.append(reset())
        return resets[-1]

    monkeypatch.setattr(checkpointer, "reset", recorded)
    try:
        checkpointer.checkpoint()
        assert len(resets) == 1 and resets[0].copied == resets[0].frames >= 900
        await write(database, 1)
        assert checkpointer.checkpoint().frames < 400  # started over
    finally:
        checkpointer.close()


async def test_a_reset_waits_for_no_long_write(database: Database) -> None:
    await write(database, 1)
    path = checkpoints.sqlite_file(database.url)
    holder = sqlite3.connect(path, isolation_level=None)
    checkpointer = Checkpointer(path)
    try:
        holder.execute("BEGIN IMMEDIATE")
        done = await asyncio.wait_for(asyncio.to_thread(checkpointer.reset), 1)
        assert done.busy
        holder.execute("ROLLBACK")
        assert not checkpointer.reset().busy
    finally:
        checkpointer.close()
        holder.close()


async def test_postgresql_and_memory_have_no_checkpointer() -> None:
    assert checkpoints.sqlite_file("postgresql+asyncpg://u@h/db") is None
    assert checkpoints.sqlite_file("sqlite+aiosqlite:///:memory:") is None
    async with checkpoints.checkpointing("postgresql+asyncpg://u@h/db"):
        pass


async def test_a_file_not_there_yet_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "later.db"
    async with checkpoints.checkpointing(f"sqlite+aiosqlite:///{path}", every_s=0.01):
        await asyncio.sleep(0.1)
        assert not path.exists()
        database = Database(f"sqlite+aiosqlite:///{path}")
        try:
            async with database.unscoped_session() as session:
                await session.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB)"))
            await write(database, 3)
            async with asyncio.timeout(5):  # checkpointed once it exists
                while file_size(database) < 900 * PAGE:
                    await asyncio.sleep(0.02)
        finally:
            await database.dispose()
