"""The dispatcher's claim (``webhooks.delivery_repository.claim``) does work for each
endpoint, not for each message waiting behind an endpoint's head: a head in flight, or
waiting for its retry, leaves every message behind it due, and a claim that walked them
would slow down every round as a backlog grows.

The work is counted, not timed, in SQLite's virtual machine steps (as ``test_queue_work``
does): the planner picks its plan by the statement's shape, so a few hundred rows show
the plan a hundred thousand would get. ``python -m bench.webhook_claims`` times it on both
databases."""

import json
from datetime import timedelta

import pytest
from bench import webhook_claims

from relance.db.types import utcnow
from relance.tenancy.database import Database
from relance.webhooks import delivery_repository
from tests.query_work import assert_unmoved_by, captured, counted, scans

BEHIND = 300


class _RollBack(Exception):
    pass


async def _work_of_claim(database: Database, backlog: int) -> tuple[int, int]:
    """SQLite's steps for the claim's statement with two endpoints of ``backlog`` due
    messages each, the first one's head in flight; and how many of theirs it claimed.
    Rolled back: the suite's dispatchers never see these messages."""
    try:
        async with database.unscoped_session() as session:
            endpoints = await webhook_claims.fill(session, backlog)
            with captured(database, lambda statement: "webhook_endpoints.url" in statement) as seen:
                now = utcnow()
                claimed = await delivery_repository.claim(
                    session, now=now, lease_until=now + timedelta(minutes=1), limit=32
                )
            [(statement, parameters)] = seen
            connection = await session.connection()
            raw = (await connection.get_raw_connection()).driver_connection._conn  # type: ignore[union-attr]
            steps = counted(raw, statement, parameters)  # in the transaction that holds them
            raise _RollBack
    except _RollBack:
        pass
    return steps, sum(1 for c in claimed if c.endpoint_id in endpoints)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_messages_behind_a_head_in_flight_cost_the_claim_nothing(database: Database) -> None:
    alone, served_alone = await _work_of_claim(database, 2)
    behind_many, served = await _work_of_claim(database, BEHIND)
    assert served_alone == served == 1  # the second endpoint's head, nothing of the first's
    assert_unmoved_by(BEHIND, alone, behind_many)


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_postgresql_finds_each_head_on_its_queue_index_past_a_delivered_history(
    database: Database,
) -> None:
    """Two endpoints with 2,000 delivered messages each, then 200 pending (the first one's
    head in flight), statistics fresh as autovacuum keeps them: each endpoint's head is
    one seek of the queue's index. With any other index in event order there, PostgreSQL
    took it for the head's LIMIT 1 and walked the delivered history first."""
    try:
        async with database.unscoped_session() as session:
            endpoints = await webhook_claims.fill(session, 200, delivered=2000)
        async with database.engine.connect() as conn:
            await conn.exec_driver_sql("ANALYZE webhook_deliveries")
            await conn.exec_driver_sql("ANALYZE webhook_endpoints")
            await conn.commit()
        async with database.unscoped_session() as session:
            with captured(database, lambda statement: "webhook_endpoints.url" in statement) as seen:
                now = utcnow()
                claimed = await delivery_repository.claim(
                    session, now=now, lease_until=now + timedelta(minutes=1), limit=32
                )
            assert sum(1 for c in claimed if c.endpoint_id in endpoints) == 1
            await session.rollback()
        [(statement, parameters)] = seen
        async with database.engine.connect() as conn:
            plan = (await conn.exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters)).scalar()
            await conn.rollback()
        heads = [s for s in scans(json.loads(plan) if isinstance(plan, str) else plan)
                 if s["Relation Name"] == "webhook_deliveries" and s.get("Alias") != "webhook_deliveries"]
        assert heads and all(
            s.get("Index Name") == "ix_webhook_deliveries_endpoint_id_status_event_position" for s in heads
        ), heads
        assert all(s["Actual Rows"] + s.get("Rows Removed by Filter", 0) <= 1 for s in heads), heads
    finally:
        async with database.unscoped_session() as session:
            await webhook_claims.empty(session, endpoints)
