"""GET /v1/sequences/{id}/stats, on both databases, against what the requests did."""

import uuid
from datetime import timedelta

from relance.db.engine import count_statements
from tests.factory import Tenant
from tests.test_enrolment_states import NOW, Clock, clock  # noqa: F401  (the fixture)


async def stats(tenant: Tenant, sequence_id: str) -> dict:
    response = await tenant.get(f"/v1/sequences/{sequence_id}/stats")
    assert response.status_code == 200, response.text
    return response.json()


async def place(tenant: Tenant, sequence_id: str, contact: str, status: str) -> None:
    response = await tenant.post("/v1/calls", json={"sequenceId": sequence_id, "contactId": contact, "status": status})
    assert response.status_code == 201, response.text


async def test_counts_by_status_state_and_rep(tenants, clock: Clock) -> None:
    tenant = await tenants.create()
    contacts = await tenant.contacts(6)
    sequence_id = await tenant.sequence(assignees=[0, 1], contact_ids=contacts)
    listed = (await tenant.get(f"/v1/sequences/{sequence_id}/contacts")).json()["data"]
    rep_of = {i["contact"]["id"]: i["assignedToWorkspaceMembershipId"] for i in listed}
    empty = await stats(tenant, sequence_id)
    assert (empty["contactCount"], empty["byStatus"], empty["attempts"], empty["connectionRate"]) == (6, {}, 0, None)
    assert empty["byState"] == {"active": 6, "paused": 0, "finished": 0}

    clock.now = NOW - timedelta(days=1)  # yesterday: counts in attempts, not in today's
    await place(tenant, sequence_id, contacts[0], "NO_ANSWER")
    clock.now = NOW
    await place(tenant, sequence_id, contacts[0], "COMPLETED")  # connects: finished
    await place(tenant, sequence_id, contacts[1], "BUSY")
    await tenant.post(f"/v1/sequences/{sequence_id}/contacts/pause", json={"contactIds": [contacts[2]]})
    await tenant.delete(f"/v1/sequences/{sequence_id}/contacts", json={"contactIds": [contacts[5]]})
    body = await stats(tenant, sequence_id)
    assert body["contactCount"] == 5
    assert body["byStatus"] == {"CONNECTED": 1, "RUNNING": 1}
    assert body["byState"] == {"active": 3, "paused": 1, "finished": 1}
    assert (body["attempts"], body["connectionRate"]) == (3, 0.5)
    reps = {r["workspaceMembershipId"]: r for r in body["reps"]}
    assert set(reps) == {tenant.wm(0), tenant.wm(1)}
    for rep, row in reps.items():
        mine = [c for c in contacts[:5] if rep_of[c] == rep]
        assert row["activeLoad"] == len(mine)
        assert row["attempts"] == sum({contacts[0]: 2, contacts[1]: 1}.get(c, 0) for c in mine)
        assert row["attemptsToday"] == sum({contacts[0]: 1, contacts[1]: 1}.get(c, 0) for c in mine)
        assert row["connected"] == (1 if contacts[0] in mine else 0)
        assert row["finished"] == (1 if contacts[0] in mine else 0)


async def test_stats_cost_the_same_statements_whatever_the_size(tenants, clock: Clock, database) -> None:
    counted = []
    for size in (2, 30):
        tenant = await tenants.create()
        contacts = await tenant.contacts(size)
        sequence_id = await tenant.sequence(contact_ids=contacts)
        for contact in contacts[: size // 2]:
            await place(tenant, sequence_id, contact, "NO_ANSWER")
        with count_statements(database.engine) as counter:
            await stats(tenant, sequence_id)
        counted.append(len(counter.statements))
    assert counted[0] == counted[1]


async def test_another_workspaces_sequence_has_no_stats(tenants, clock: Clock) -> None:
    tenant = await tenants.create(workspaces=2)
    sequence_id = await tenant.sequence(workspace_index=1)
    limited = Tenant(tenant.client, tenant.organization_id, await tenant.key_for([tenant.workspace_ids[0]]),
                     tenant.workspace_ids, tenant.members, tenant.api_key_id)
    assert (await limited.get(f"/v1/sequences/{sequence_id}/stats")).status_code == 404
    assert (await (await tenants.create()).get(f"/v1/sequences/{sequence_id}/stats")).status_code == 404
    assert (await tenant.get(f"/v1/sequences/{uuid.uuid4()}/stats")).status_code == 404
