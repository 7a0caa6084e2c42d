"""The lists that filter by one column read the rows they show, not the tenant's history:
`GET /v1/calls` by contact, by rep and by sequence (its page and its total), the
attempts of today in `GET /v1/sequences/{id}/stats`, and the page (not the total) of
`GET /v1/do-not-call`. Each is run for a tenant with no
other rows and for one with many others, in SQLite's virtual machine steps
(``tests.query_work``): walking past each other row would add several steps for each.

Rows are written straight into the tables (a history of calls, a long list):
the API would take minutes to make as many, and these reads depend on nothing else."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import insert

from relance.db.models import Call
from relance.db.types import utcnow
from relance.tenancy.database import Database
from tests.factory import Tenant, TenantFactory
from tests.query_work import assert_unmoved_by, captured, steps

OTHERS = 600
pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def _call(tenant: Tenant, *, sequence: str, contact: str, rep: str, started: object) -> dict:
    now = utcnow()
    return {
        "id": uuid.uuid4(),
        "workspace_id": uuid.UUID(tenant.workspace_id),
        "sequence_id": uuid.UUID(sequence),
        "contact_id": uuid.UUID(contact),
        "workspace_membership_id": uuid.UUID(rep),
        "status": "COMPLETED",
        "started_at": started,
        "ended_at": started,
        "created_at": now,
        "updated_at": now,
    }


async def _with_calls(tenants: TenantFactory, database: Database, others: int) -> dict[str, str]:
    """A tenant whose first sequence has ``others`` old calls of its first contact by its
    first rep, and whose second sequence has one call of today, of the second contact by
    the second rep; what to ask for that call."""
    tenant = await tenants.create()
    first, second = await tenant.contacts(2)
    old_sequence = await tenant.sequence(assignees=[0], contact_ids=[first])
    sequence = await tenant.sequence(assignees=[1], contact_ids=[second])
    long_ago = utcnow() - timedelta(days=3)
    rows = [
        _call(tenant, sequence=old_sequence, contact=first, rep=tenant.wm(0), started=long_ago)
        for _ in range(others)
    ]
    rows.append(_call(tenant, sequence=sequence, contact=second, rep=tenant.wm(1), started=utcnow()))
    async with database.unscoped_session() as session:
        await session.execute(insert(Call), rows)
    return {
        "tenant": tenant,  # type: ignore[dict-item]
        "contactId": second,
        "workspaceMembershipId": tenant.wm(1),
        "sequenceId": sequence,
        "old_sequence": old_sequence,
    }


async def _work(database: Database, tenant: Tenant, path: str, wanted: str) -> list[int]:
    """The steps of each statement of the request whose text contains ``wanted``."""
    with captured(database, lambda statement: wanted in statement) as seen:
        response = await tenant.get(path)
        assert response.status_code == 200, response.text
    assert seen
    return [steps(database, statement, parameters) for statement, parameters in seen]


@pytest.mark.parametrize("filter", ["contactId", "workspaceMembershipId", "sequenceId"])
async def test_calls_of_one_contact_rep_or_sequence_cost_what_they_are(
    tenants: TenantFactory, database: Database, filter: str
) -> None:
    work = []
    for others in (0, OTHERS):
        asked = await _with_calls(tenants, database, others)
        tenant = asked["tenant"]
        body = (await tenant.get(f"/v1/calls?{filter}={asked[filter]}")).json()  # type: ignore[attr-defined]
        assert body["total"] == 1 and len(body["data"]) == 1
        work.append(await _work(database, tenant, f"/v1/calls?{filter}={asked[filter]}", "FROM calls"))  # type: ignore[arg-type]
    alone, among_many = work
    assert len(alone) == len(among_many) == 2  # the total and the page
    for few, many in zip(alone, among_many, strict=True):
        assert_unmoved_by(OTHERS, few, many)


async def test_todays_attempts_of_a_sequence_cost_what_today_holds(
    tenants: TenantFactory, database: Database
) -> None:
    work = []
    for others in (0, OTHERS):
        asked = await _with_calls(tenants, database, others)
        tenant = asked["tenant"]
        path = f"/v1/sequences/{asked['old_sequence']}/stats"
        work.extend(await _work(database, tenant, path, "calls.started_at >="))  # type: ignore[arg-type]
    alone, among_many = work
    assert_unmoved_by(OTHERS, alone, among_many)


async def test_a_page_of_the_do_not_call_list_reads_the_page(
    tenants: TenantFactory, database: Database
) -> None:
    work = []
    for others in (2, OTHERS):
        tenant = await tenants.create()
        numbers = [f"+3361{index:07d}" for index in range(others)]
        for start in range(0, others, 1000):
            added = await tenant.post("/v1/do-not-call", json={"numbers": numbers[start : start + 1000]})
            assert added.status_code == 201, added.text
        work.extend(
            await _work(database, tenant, "/v1/do-not-call?limit=2", "ORDER BY do_not_call_numbers")
        )
    alone, among_many = work
    assert_unmoved_by(OTHERS, alone, among_many)
