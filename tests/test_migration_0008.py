"""Rows written under 0006 come out of 0008 with what the queue reads: attempts, the last
attempt, a call under way, CONNECTED ones finished, and each number's zones."""

import asyncio
import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command
from sqlalchemy.ext.asyncio import create_async_engine

from relance.db.migrate import alembic_config
from tests.test_migrations import fresh_url, seed_sequence  # noqa: F401  (fresh_url: the fixture)


async def test_0008_derives_attempts_states_and_zones(fresh_url: str) -> None:  # noqa: F811
    await asyncio.to_thread(command.upgrade, alembic_config(fresh_url), "0006")
    ids = {name: uuid.uuid4() for name in ("org", "om", "sequence", "member", "workspace", "a", "b", "c")}
    moment = datetime(2026, 11, 30, 12, 0, 0, tzinfo=UTC)
    naive = moment.replace(tzinfo=None)
    calls = sa.table(
        "calls",
        *(sa.column(n, sa.Uuid) for n in ("id", "sequence_id", "contact_id", "workspace_membership_id",
                                           "workspace_id")),
        sa.column("status", sa.String), sa.column("started_at", sa.DateTime),
        sa.column("created_at", sa.DateTime), sa.column("updated_at", sa.DateTime),
    )
    enrolments = sa.table(
        "sequence_contacts",
        *(sa.column(n, sa.Uuid) for n in ("id", "sequence_id", "contact_id",
                                           "assigned_to_workspace_membership_id", "workspace_id")),
        sa.column("status", sa.String), sa.column("created_at", sa.DateTime),
    )
    numbers = sa.table(
        "phone_numbers",
        *(sa.column(n, sa.Uuid) for n in ("id", "contact_id", "workspace_id")),
        sa.column("number", sa.String), sa.column("position", sa.Integer), sa.column("created_at", sa.DateTime),
    )
    from relance.db.models import Base

    table = Base.metadata.tables  # the columns 0006 has are enough for these rows
    engine = create_async_engine(fresh_url)
    async with engine.begin() as connection:
        await seed_sequence(connection, table, org=ids["org"], workspace=ids["workspace"],
                            org_member=ids["om"], workspace_member=ids["member"],
                            sequence=ids["sequence"], at=moment)
        for contact in ("a", "b", "c"):
            await connection.execute(table["contacts"].insert().values(
                id=ids[contact], workspace_id=ids["workspace"], first_name="", last_name="", created_at=moment,
                updated_at=moment))
        for contact, status in (("a", "RUNNING"), ("b", "CONNECTED"), ("c", None)):
            await connection.execute(enrolments.insert().values(
                id=uuid.uuid4(), sequence_id=ids["sequence"], contact_id=ids[contact],
                assigned_to_workspace_membership_id=ids["member"], workspace_id=ids["workspace"],
                status=status, created_at=naive))
        history = [("a", "NO_ANSWER", naive.replace(hour=13)), ("a", "RINGING", naive.replace(hour=14)),
                   ("a", "NOT_INITIATED", None), ("b", "COMPLETED", naive)]
        for contact, status, started in history:
            await connection.execute(calls.insert().values(
                id=uuid.uuid4(), sequence_id=ids["sequence"], contact_id=ids[contact],
                workspace_membership_id=ids["member"], workspace_id=ids["workspace"], status=status,
                started_at=started, created_at=naive, updated_at=naive))
        for contact, number in (("a", "+33612345678"), ("b", "+17016001234")):
            await connection.execute(numbers.insert().values(
                id=uuid.uuid4(), contact_id=ids[contact], workspace_id=ids["workspace"], number=number,
                position=0, created_at=naive))
    await asyncio.to_thread(command.upgrade, alembic_config(fresh_url), "0008")
    async with engine.connect() as connection:
        rows = (await connection.execute(sa.text(
            "SELECT contact_id, attempts, last_attempt_at, call_under_way, state, exit_reason "
            "FROM sequence_contacts"))).all()
        zones = dict((await connection.execute(sa.text("SELECT number, time_zones FROM phone_numbers"))).all())
    await engine.dispose()
    by_contact = {uuid.UUID(str(r[0])): tuple(r[1:]) for r in rows}
    as_naive = lambda value: value if value is None or isinstance(value, datetime) else datetime.fromisoformat(value)  # noqa: E731
    assert {k: (v[0], as_naive(v[1]), bool(v[2]), v[3], v[4]) for k, v in by_contact.items()} == {
        ids["a"]: (2, naive.replace(hour=14), True, "active", None),
        ids["b"]: (1, naive, False, "finished", "connected"),
        ids["c"]: (0, None, False, "active", None),
    }
    assert zones == {"+33612345678": "Europe/Paris", "+17016001234": "America/Denver America/North_Dakota/Center"}
