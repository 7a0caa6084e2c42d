"""What ``POST /v1/sequences/{id}/next`` makes the database do does not grow with the
contacts of the rep's queue that it may not offer now: those with no number
(MISSING_NUMBER), those paused until resumed, those whose calling window is closed. They
stay at the front of the never-called, and a queue that walked past them on every call
would slow down as the rep works through a sequence.

The work is counted, not timed, in SQLite's virtual machine steps: its planner picks an
index by the shape of the statement, whatever the data, so a test's few rows show the plan
a million would get. PostgreSQL's planner goes by statistics, and on a test's few rows
picks plans it never would on a sequence of size: its plan is checked on the benchmark's
generated data instead, with the statistics autovacuum would keep."""

import asyncio
import json
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager
from typing import Any

import httpx
import pytest
from bench import load

from relance.api.app import create_app
from relance.db.migrate import upgrade_to_head
from relance.tenancy.database import Database
from tests.conftest import make_settings
from tests.factory import Tenant
from tests.query_work import assert_unmoved_by, captured, scans, steps
from tests.test_add_contacts import add
from tests.test_enrolment_states import NOW, Clock, clock, move  # noqa: F401  (the fixture)
from tests.test_migrations import fresh_url  # noqa: F401  (the fixture)
from tests.test_queue import WINDOW, claimed, contact_with

# Contacts the queue may not offer ahead of the one it may: enough that walking past each
# of them would dwarf the work of finding one.
AHEAD = 150
Ahead = Callable[[Tenant, str], Awaitable[None]]


def _candidates(database: Database) -> AbstractContextManager[list[tuple[str, Any]]]:
    """Collects the queue's candidate statements (with their parameters) the engine runs."""
    return captured(
        database,
        lambda statement: statement.startswith("WITH RECURSIVE present")
        and "phone_number_id" in statement,
    )


async def _add(tenant: Tenant, sequence_id: str, contacts: list[str], rep: str) -> None:
    items = [{"contactId": c, "assignedToWorkspaceMembershipId": rep} for c in contacts]
    for start in range(0, len(items), 100):
        added = await add(tenant, sequence_id, items[start:start + 100])
        assert added.status_code == 201, added.text


async def _numberless(tenant: Tenant, sequence_id: str) -> None:
    await _add(tenant, sequence_id, await tenant.contacts(AHEAD, numbers=False), tenant.wm(0))


async def _paused_until_resumed(tenant: Tenant, sequence_id: str) -> None:
    contacts = await tenant.contacts(AHEAD)
    await _add(tenant, sequence_id, contacts, tenant.wm(0))
    for start in range(0, len(contacts), 100):
        await move(tenant, sequence_id, "pause", {"contactIds": contacts[start:start + 100]})


async def _in_closed_zones(tenant: Tenant, sequence_id: str, count: int = AHEAD) -> None:
    """Contacts in Los Angeles, at 02:00 there: outside the window, which is open in Paris."""
    response = await tenant.post("/v1/contacts/bulk", json={"contacts": [
        {"phoneNumbers": [f"+1213555{i:04d}"], "workspaceId": tenant.workspace_ids[0]} for i in range(count)
    ]})
    assert response.status_code == 201, response.text
    await _add(tenant, sequence_id, [c["id"] for c in response.json()["data"]], tenant.wm(0))


async def _work_of_next(tenant: Tenant, database: Database, ahead: Ahead | None, *, window: bool = False) -> int:
    """A sequence (with a calling window, ``window``) whose first rep has ``ahead`` contacts
    enrolled before one it may call, beside a second rep with as many callable ones: the
    first rep's ``next`` claims that contact, and the work of its candidate statement is
    counted."""
    sequence_id = await tenant.sequence(assignees=[0, 1])
    if window:
        patched = await tenant.patch(f"/v1/sequences/{sequence_id}", json={"callingWindow": WINDOW})
        assert patched.status_code == 200, patched.text
    if ahead is not None:
        await ahead(tenant, sequence_id)
    await _add(tenant, sequence_id, await tenant.contacts(AHEAD), tenant.wm(1))
    callable_one = await contact_with(tenant, "+33612345678")
    await _add(tenant, sequence_id, [callable_one], tenant.wm(0))
    with _candidates(database) as seen:
        body = await claimed(tenant, sequence_id, tenant.wm(0))
        assert body["call"]["contactId"] == callable_one
        [(statement, parameters), *_] = seen
    return steps(database, statement, parameters)


@pytest.mark.usefixtures("clock")
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("ahead", [_numberless, _paused_until_resumed])
async def test_contacts_next_may_not_offer_cost_it_nothing(tenants, database: Database, ahead: Ahead) -> None:
    tenant = await tenants.create()
    alone = await _work_of_next(tenant, database, None)
    behind_many = await _work_of_next(tenant, database, ahead)
    assert_unmoved_by(AHEAD, alone, behind_many)


@pytest.mark.usefixtures("clock")
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_contacts_outside_the_window_cost_it_nothing(tenants, database: Database) -> None:
    """Contacts whose window is closed now stay at the front of the never-called until it
    opens: a queue that walked past each of them would slow down as the rep works through
    the contacts whose window is open. (What it reads grows with the zones of the rep's
    queue instead: one of them closed in both counts.)"""
    tenant = await tenants.create()
    alone = await _work_of_next(tenant, database, lambda t, s: _in_closed_zones(t, s, 1), window=True)
    behind_many = await _work_of_next(tenant, database, _in_closed_zones, window=True)
    assert_unmoved_by(AHEAD, alone, behind_many)


async def _work_of_nobody(tenant: Tenant, database: Database, closed: int) -> int:
    """A windowed sequence with a retry delay whose rep has ``closed`` contacts outside the
    window and one just called: the work of the reads of a ``next`` that finds nobody
    callable and says when to ask again (the candidates, the soonest change, the zones)."""
    sequence_id = await tenant.sequence(assignees=[0])
    patched = await tenant.patch(f"/v1/sequences/{sequence_id}",
                                 json={"callingWindow": WINDOW, "retryAfterMinutes": 60})
    assert patched.status_code == 200, patched.text
    await _in_closed_zones(tenant, sequence_id, closed)
    await _add(tenant, sequence_id, [await contact_with(tenant, "+33612345678")], tenant.wm(0))
    call = (await claimed(tenant, sequence_id, tenant.wm(0)))["call"]
    ended = await tenant.patch(f"/v1/calls/{call['id']}", json={"status": "NO_ANSWER"})
    assert ended.status_code == 200, ended.text
    with captured(database, lambda statement: statement.startswith(("SELECT", "WITH"))) as seen:
        response = await tenant.post(f"/v1/sequences/{sequence_id}/next", json={"workspaceMembershipId": tenant.wm(0)})
        assert response.status_code == 204, response.text
        assert response.headers["retry-after"] == "3600"
    return sum(steps(database, statement, parameters) for statement, parameters in seen)


@pytest.mark.usefixtures("clock")
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_saying_when_to_ask_again_costs_what_finding_one_does(tenants, database: Database) -> None:
    tenant = await tenants.create()
    alone = await _work_of_nobody(tenant, database, 1)
    behind_many = await _work_of_nobody(tenant, database, AHEAD)
    assert_unmoved_by(AHEAD, alone, behind_many)


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_postgresql_reads_the_rep_s_queue_along_its_index(fresh_url: str) -> None:  # noqa: F811
    """The benchmark's sequence of 2,000 (five reps, every status, some already called), in
    a database of its own as the benchmark's is (the other tests' rows would give the
    planner statistics of many small sequences, whose per-zone heads it rightly reads with
    a bitmap and a sort): the candidate lists the first rep's zones, and reads the head of
    each from the queue's index, in its order, stopping at the first row, instead of
    walking the sequence's enrolment order past every rep's rows."""
    await asyncio.to_thread(upgrade_to_head, fresh_url)
    database = Database(fresh_url, timeout_s=60)
    try:
        await _plan_reads_the_queue_s_index(database)
    finally:
        await database.dispose()


async def _plan_reads_the_queue_s_index(database: Database) -> None:
    dataset = await load.load(database, contacts=2000, spare=0, vacuum=False)
    async with database.engine.connect() as conn:
        await conn.exec_driver_sql("ANALYZE")  # as autovacuum would, after such a load
        await conn.commit()
    path = f"/v1/sequences/{dataset.big.sequence_id}/next"
    app = create_app(make_settings(database), database=database)
    app.state.clock = lambda: NOW
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    with _candidates(database) as seen:
        async with httpx.AsyncClient(transport=transport, base_url="http://relance.test") as client:
            response = await client.post(path, json={"workspaceMembershipId": str(dataset.assignees[0])},
                                         headers={"Authorization": f"Bearer {dataset.api_key}"})
        assert response.status_code == 201, response.text
        [(statement, parameters), *_] = seen
    async with database.engine.connect() as conn:
        plan = (await conn.exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters)).scalar()
        await conn.rollback()  # the statement locks the row it finds
    enrolments = [s for s in scans(json.loads(plan) if isinstance(plan, str) else plan)
                  if s["Relation Name"] == "sequence_contacts"]
    # The keys of the rep's queue, the head of each, and the first head itself: each an
    # index read of a row or so, never a walk of the sequence.
    assert enrolments, plan
    for scan in enrolments:
        index = scan.get("Index Name") or [i["Index Name"] for i in scan.get("Plans", [])][0]
        assert index in ("ix_sequence_contacts_queue", "pk_sequence_contacts"), scan
        assert scan["Actual Rows"] + scan.get("Rows Removed by Filter", 0) <= scan["Actual Loops"] * 2, scan
