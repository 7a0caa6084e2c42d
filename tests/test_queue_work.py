"""What ``POST /v1/sequences/{id}/next`` makes the database do does not grow with the
contacts of the rep's queue that it may never offer: those with no number (MISSING_NUMBER)
stay at the front of the never-called forever, and a queue that walked past them on every
call would slow down as the rep works through a sequence.

The work is counted, not timed, in SQLite's virtual machine steps. On SQLite alone: its
planner picks an index by the shape of the statement, whatever the data, so a test's few
rows show the plan a million would get; PostgreSQL's planner goes by statistics, and on a
test's few rows picks plans it never would on a sequence of size (bench/README.md has its
plan of the queue at 100,000 contacts)."""

import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import make_url

from relance.tenancy.database import Database
from tests.factory import Tenant
from tests.test_enrolment_states import Clock, clock  # noqa: F401  (the fixture)
from tests.test_queue import claimed, contact_with

# Contacts with no number ahead of the one callable contact: enough that walking past
# each of them would dwarf the work of finding one.
NUMBERLESS = 150


def _candidates(database: Database) -> Iterator[list[tuple[str, Any]]]:
    """Collects the queue's candidate statements (with their parameters) the engine runs."""
    seen: list[tuple[str, Any]] = []

    def capture(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        if statement.startswith("SELECT sequence_contacts.id") and "phone_number_id" in statement:
            seen.append((statement, parameters))

    event.listen(database.engine.sync_engine, "before_cursor_execute", capture)
    try:
        yield seen
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", capture)


def _steps(database: Database, statement: str, parameters: Any) -> int:
    """SQLite's virtual machine steps to run ``statement`` now, on a connection of its own."""
    raw = sqlite3.connect(make_url(database.url).database)
    steps = 0

    def step() -> int:
        nonlocal steps
        steps += 1
        return 0

    try:
        raw.set_progress_handler(step, 1)
        raw.execute(statement, parameters).fetchall()
    finally:
        raw.close()
    return steps


async def _add(tenant: Tenant, sequence_id: str, contacts: list[str], rep: str) -> None:
    items = [{"contactId": c, "assignedToWorkspaceMembershipId": rep} for c in contacts]
    for start in range(0, len(items), 100):
        added = await tenant.post(f"/v1/sequences/{sequence_id}/contacts", json={"contacts": items[start:start + 100]})
        assert added.status_code == 201, added.text


async def _work_of_next(tenant: Tenant, database: Database, numberless: int) -> int:
    """A sequence whose first rep has ``numberless`` contacts with no number enrolled before
    one with a number, beside a second rep with as many callable ones: the first rep's
    ``next`` claims that contact, then the work of its candidate statement is counted
    again, with no one left for the rep."""
    created = await tenant.post("/v1/sequences", json={
        "name": "Queue", "creatorId": tenant.om(0), "assignedToIds": [tenant.om(0), tenant.om(1)],
    })
    assert created.status_code == 201, created.text
    sequence_id = created.json()["id"]
    if numberless:
        await _add(tenant, sequence_id, await tenant.contacts(numberless, numbers=False), tenant.wm(0))
    await _add(tenant, sequence_id, await tenant.contacts(NUMBERLESS), tenant.wm(1))
    callable_one = await contact_with(tenant, "+33612345678")
    await _add(tenant, sequence_id, [callable_one], tenant.wm(0))
    for seen in _candidates(database):
        body = await claimed(tenant, sequence_id, tenant.wm(0))
        assert body["call"]["contactId"] == callable_one
        [(statement, parameters), *_] = seen
    return _steps(database, statement, parameters)


@pytest.mark.usefixtures("clock")
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_contacts_with_no_number_cost_next_nothing(tenants, database: Database) -> None:
    tenant = await tenants.create()
    alone = await _work_of_next(tenant, database, 0)
    behind_many = await _work_of_next(tenant, database, NUMBERLESS)
    # Walking past each numberless contact would add several steps for each.
    assert behind_many < alone + NUMBERLESS // 3, (alone, behind_many)
