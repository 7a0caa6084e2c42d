"""Enrolments written under 0012 come out of 0013 with their contact's queue key: the zone
key its numbers share, MIXED when they differ, none without a number; downgrading drops it."""

import asyncio
import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command
from sqlalchemy.ext.asyncio import create_async_engine

from relance.calling_windows import MIXED
from relance.db.migrate import alembic_config
from tests.test_migrations import fresh_url, seed_sequence  # noqa: F401  (fresh_url: the fixture)

ZONES = {
    "paris": ["Europe/Paris"],
    "twice_paris": ["Europe/Paris", "Europe/Paris"],
    "paris_and_la": ["Europe/Paris", "America/Los_Angeles"],
    "none": [],
}


async def test_0013_stores_each_enrolment_s_queue_key(fresh_url: str) -> None:  # noqa: F811
    await asyncio.to_thread(command.upgrade, alembic_config(fresh_url), "0012")
    ids = {name: uuid.uuid4() for name in ("org", "om", "sequence", "member", "workspace")}
    contacts = {name: uuid.uuid4() for name in ZONES}
    moment = datetime(2026, 12, 2, 12, 0, 0, tzinfo=UTC)
    from relance.db.models import Base

    table = Base.metadata.tables  # only columns 0012 has are written
    engine = create_async_engine(fresh_url)
    async with engine.begin() as connection:
        await seed_sequence(connection, table, org=ids["org"], workspace=ids["workspace"],
                            org_member=ids["om"], workspace_member=ids["member"],
                            sequence=ids["sequence"], at=moment)
        for name, zones in ZONES.items():
            await connection.execute(table["contacts"].insert().values(
                id=contacts[name], workspace_id=ids["workspace"], first_name="", last_name="",
                created_at=moment, updated_at=moment))
            for position, zone in enumerate(zones):
                await connection.execute(table["phone_numbers"].insert().values(
                    id=uuid.uuid4(), contact_id=contacts[name], workspace_id=ids["workspace"],
                    number=f"+3361234{position}{len(name):03d}", position=position, time_zones=zone,
                    created_at=moment))
            await connection.execute(table["sequence_contacts"].insert().values(
                id=uuid.uuid4(), sequence_id=ids["sequence"], contact_id=contacts[name],
                assigned_to_workspace_membership_id=ids["member"], workspace_id=ids["workspace"],
                created_at=moment))
    await engine.dispose()
    await asyncio.to_thread(command.upgrade, alembic_config(fresh_url), "0013")
    engine = create_async_engine(fresh_url)
    async with engine.connect() as connection:
        rows = (await connection.execute(sa.text("SELECT contact_id, zone_key FROM sequence_contacts"))).all()
    await engine.dispose()
    keys = {uuid.UUID(str(contact)): key for contact, key in rows}
    assert keys == {
        contacts["paris"]: "Europe/Paris",
        contacts["twice_paris"]: "Europe/Paris",
        contacts["paris_and_la"]: MIXED,
        contacts["none"]: None,
    }
    await asyncio.to_thread(command.downgrade, alembic_config(fresh_url), "0012")
    engine = create_async_engine(fresh_url)
    async with engine.connect() as connection:
        columns = await connection.run_sync(
            lambda sync: [c["name"] for c in sa.inspect(sync).get_columns("sequence_contacts")])
    await engine.dispose()
    assert "zone_key" not in columns
