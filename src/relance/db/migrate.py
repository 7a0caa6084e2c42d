"""Apply the Alembic migrations to a database, once however many processes start at once."""

import asyncio
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, text
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

MIGRATIONS = Path(__file__).parent / "migrations"
# The PostgreSQL advisory lock every migrating process takes: "relance" in ASCII.
_MIGRATION_LOCK = int.from_bytes(b"relance", "big")


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revision() -> str | None:
    """The revision the code expects the schema at."""
    return ScriptDirectory.from_config(alembic_config("")).get_current_head()


def is_behind(revision: str | None) -> bool:
    """Whether a schema at ``revision`` lacks a migration this code needs. A revision this
    code does not know is a newer release's (mid rolling upgrade): not behind."""
    if revision is None:
        return True
    scripts = ScriptDirectory.from_config(alembic_config(""))
    known = {script.revision for script in scripts.walk_revisions()}
    return revision in known and revision != scripts.get_current_head()


def current_revision(connection: Connection) -> str | None:
    """The revision a database's schema is at (None before the first migration)."""
    return MigrationContext.configure(connection).get_current_revision()


async def schema_revision(session: AsyncSession) -> str | None:
    """``current_revision`` read in a session, quietly (None before the first migration)."""
    connection = await session.connection()
    if not await connection.run_sync(lambda c: inspect(c).has_table("alembic_version")):
        return None
    return (await session.execute(text("SELECT version_num FROM alembic_version"))).scalar()


@dataclass(frozen=True)
class Migrated:
    """What ``upgrade_to_head`` did: the schema's revision before and after."""

    before: str | None
    after: str | None

    def describe(self) -> str:
        if self.before == self.after:
            return f"schema already at {self.after}: nothing to do"
        return f"schema migrated from {self.before or 'empty'} to {self.after}"


def upgrade_to_head(url: str) -> Migrated:
    """Bring the database at ``url`` to the latest schema (blocking; call before serving).

    On PostgreSQL the whole upgrade is one transaction under an advisory lock, so that
    processes starting together against one database migrate it once: the first does it,
    the others wait for it, then find the schema at head. (SQLite is one machine's file,
    migrated by whichever process starts first.)
    """
    return asyncio.run(_upgrade(url))


async def _upgrade(url: str) -> Migrated:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                await connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK}
                )
            migrated = await connection.run_sync(_upgrade_on, url)
            await connection.commit()
        return migrated
    finally:
        await engine.dispose()


def _upgrade_on(connection: Connection, url: str) -> Migrated:
    before = current_revision(connection)
    config = alembic_config(url)
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
    return Migrated(before=before, after=current_revision(connection))
