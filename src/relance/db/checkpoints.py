"""SQLite's write-ahead log copied back into the database file off the request path.

Under WAL, a commit that leaves the log over SQLite's threshold (1,000 pages by default)
runs a checkpoint before it returns: it copies the log into the database file and syncs
it, and the request whose write crossed the line waits for all of it. At 100,000
enrolments that was 30–40 ms on one add of 100 contacts in two or three, landing on
whichever request came at that moment.

Here the long-running processes (``relance serve``'s app, ``relance worker``) copy the log
themselves, in the background: ``checkpointing`` runs PASSIVE checkpoints, which wait for
no reader and no writer, every ``CHECKPOINT_EVERY_S``, on connections of their own in a
worker thread. A commit checkpoints only past ``SAFETY_PAGES`` (``db.dialect``), which
bounds the log in a one-shot command or when a checkpointer cannot keep up. SQLite starts
the log over once a checkpoint has copied all of it, so the file stays the size of what
a few moments write.
"""

import asyncio
import os
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from urllib.request import pathname2url

import structlog
from sqlalchemy.engine import make_url

log = structlog.stdlib.get_logger("relance.db")

CHECKPOINT_EVERY_S = 0.25
# Passes of one checkpoint, each copying what the commits of the one before added.
PASSES = 3
# A log this long is reset under the write lock (``Checkpointer.reset``), in pages of 4 KB.
RESET_PAGES = 8_000
# How long the reset waits for the write lock before it tries again later.
RESET_WAIT_S = 0.05
# A commit's own checkpoint threshold: 40 MB of log.
SAFETY_PAGES = 10_000


def sqlite_file(url: str) -> str | None:
    """The database file of a SQLite URL; None for PostgreSQL and in-memory SQLite."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return parsed.database


@dataclass(frozen=True)
class Checkpointed:
    """What a checkpoint found: the log's length and how much of it is now in the file."""

    busy: bool  # another checkpoint was under way
    frames: int
    copied: int


class Checkpointer:
    """Two connections of its own to one database file: one checkpoints, the other takes
    the write lock for a reset. Its methods block: they run in a worker thread, one at a
    time (``check_same_thread`` off for that)."""

    def __init__(self, path: str) -> None:
        # mode=rw: a file that does not exist is an error, not a new empty database.
        uri = f"file:{pathname2url(os.path.abspath(path))}?mode=rw"
        self._connection = sqlite3.connect(
            uri, uri=True, isolation_level=None, check_same_thread=False
        )
        try:
            self._writer = sqlite3.connect(
                uri, uri=True, isolation_level=None, timeout=RESET_WAIT_S, check_same_thread=False
            )
        except sqlite3.Error:
            self._connection.close()
            raise

    def checkpoint(self) -> Checkpointed:
        """PASSIVE checkpoints, which wait for no reader and no writer, until one copies
        the whole log (at most ``PASSES``); a long log is then reset.

        SQLite starts the log over only when a writer begins with all of it copied. Under
        steady writes a pass rarely ends that way, as commits add to the log meanwhile;
        the next pass has only those to copy."""
        done = Checkpointed(False, 0, 0)
        for _ in range(PASSES):
            done = self._pass()
            if done.busy or done.copied >= done.frames:
                break
        return self.reset() if done.frames >= RESET_PAGES else done

    def _pass(self) -> Checkpointed:
        busy, frames, copied = self._connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return Checkpointed(bool(busy), frames, copied)

    def reset(self) -> Checkpointed:
        """Copy what is left of the log while holding the write lock, so that no commit
        can add to it before the next writer begins and starts it over. Writers wait for
        this one pass (what the last commits wrote), as they wait for each other."""
        try:
            self._writer.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:  # a long write holds the lock: next time
            return Checkpointed(True, -1, -1)
        try:
            return self._pass()
        finally:
            self._writer.execute("ROLLBACK")

    def close(self) -> None:
        self._connection.close()
        self._writer.close()


@asynccontextmanager
async def checkpointing(url: str, *, every_s: float = CHECKPOINT_EVERY_S) -> AsyncIterator[None]:
    """Checkpoint the SQLite database at ``url`` every ``every_s`` while the block runs;
    nothing for PostgreSQL, whose server does its own."""
    path = sqlite_file(url)
    if path is None:
        yield
        return
    stop = asyncio.Event()
    task = asyncio.create_task(_run(path, every_s, stop))
    try:
        yield
    finally:
        stop.set()  # the checkpoint under way, if any, ends first: it uses the connections
        await asyncio.gather(task, return_exceptions=True)


async def _run(path: str, every_s: float, stop: asyncio.Event) -> None:
    """Until ``stop``: a file that cannot be opened (not created yet, gone) or a checkpoint
    that fails is logged once, and tried again at the next tick."""
    checkpointer: Checkpointer | None = None
    failing = False
    try:
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), every_s)
            except TimeoutError:
                try:
                    if checkpointer is None:
                        checkpointer = await asyncio.to_thread(Checkpointer, path)
                    done = await asyncio.to_thread(checkpointer.checkpoint)
                    if done.frames < 0 and not done.busy:
                        # Opened before the file was in WAL mode, the connections do not
                        # see its log: the next tick opens them again.
                        await asyncio.to_thread(checkpointer.close)
                        checkpointer = None
                    failing = False
                except sqlite3.Error as error:
                    if not failing:
                        log.warning("sqlite_checkpoint_failed", error=str(error))
                    failing = True
    finally:
        if checkpointer is not None:
            await asyncio.to_thread(checkpointer.close)
