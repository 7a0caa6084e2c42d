"""POST /v1/sequences/{id}/contacts (SequenceController_addContacts)."""

import asyncio
import uuid
from collections import Counter

import pytest

from tests.factory import Tenant


async def add(tenant: Tenant, sequence_id: str, items: list[dict]):  # noqa: ANN201
    return await tenant.post(f"/v1/sequences/{sequence_id}/contacts", json={"contacts": items})


async def active(tenant: Tenant, sequence_id: str) -> dict[str, str]:
    """contact id -> assignee workspace membership id, for every active contact."""
    result: dict[str, str] = {}
    page = 1
    while True:
        body = (await tenant.get(f"/v1/sequences/{sequence_id}/contacts?limit=100&page={page}")).json()
        result.update({i["contact"]["id"]: i["assignedToWorkspaceMembershipId"] for i in body["data"]})
        if page >= body["totalPages"]:
            return result
        page += 1


async def test_round_robin_spreads_evenly_in_list_order(tenants) -> None:
    tenant = await tenants.create()
    sequence_id = await tenant.sequence()
    contacts = await tenant.contacts(7)
    response = await add(tenant, sequence_id, [{"contactId": c} for c in contacts])
    assert response.status_code == 201
    assert response.json() == {"added": 7}
    assigned = await active(tenant, sequence_id)
    assert Counter(assigned.values()) == {tenant.wm(0): 3, tenant.wm(1): 2, tenant.wm(2): 2}
    # Ties go in the order of assignedToIds: items 0, 1, 2 to reps 0, 1, 2, then again.
    assert [assigned[c] for c in contacts[:4]] == [tenant.wm(0), tenant.wm(1), tenant.wm(2), tenant.wm(0)]


async def test_least_loaded_first_counts_earlier_items_of_the_batch(tenants) -> None:
    tenant = await tenants.create()
    sequence_id = await tenant.sequence()
    contacts = await tenant.contacts(6)
    # Rep 0 already holds two contacts.
    await add(tenant, sequence_id, [{"contactId": c, "assignedToWorkspaceMembershipId": tenant.wm(0)} for c in contacts[:2]])
    # Explicit rep 1 first, then four automatic items: rep 2, then reps 1 and 2 alternate...
    response = await add(
        tenant,
        sequence_id,
        [{"contactId": contacts[2], "assignedToWorkspaceMembershipId": tenant.wm(1)}]
        + [{"contactId": c} for c in contacts[3:]],
    )
    assert response.json() == {"added": 4}
    assigned = await active(tenant, sequence_id)
    assert [assigned[c] for c in contacts[3:]] == [tenant.wm(2), tenant.wm(1), tenant.wm(2)]
    assert Counter(assigned.values()) == {tenant.wm(0): 2, tenant.wm(1): 2, tenant.wm(2): 2}


async def test_duplicates_active_unknown_and_foreign_contacts_are_ignored(tenants) -> None:
    tenant = await tenants.create(workspaces=2)
    other = await tenants.create()
    sequence_id = await tenant.sequence()
    mine = await tenant.contacts(2)
    other_workspace = await tenant.contacts(1, workspace_index=1)
    other_org = await other.contacts(1)
    await add(tenant, sequence_id, [{"contactId": mine[0]}])
    response = await add(
        tenant,
        sequence_id,
        [
            {"contactId": mine[0]},  # already active
            {"contactId": mine[1]},
            {"contactId": mine[1]},  # duplicate in the batch
            {"contactId": str(uuid.uuid4())},  # unknown
            {"contactId": other_workspace[0]},  # another workspace of the organization
            {"contactId": other_org[0]},  # another organization
        ],
    )
    assert response.status_code == 201
    assert response.json() == {"added": 1}
    assert set(await active(tenant, sequence_id)) == set(mine)


async def test_resurrection_keeps_the_original_assignee_and_counts(tenants) -> None:
    tenant = await tenants.create()
    sequence_id = await tenant.sequence()
    [contact] = await tenant.contacts(1)
    await add(tenant, sequence_id, [{"contactId": contact, "assignedToWorkspaceMembershipId": tenant.wm(2)}])
    removed = await tenant.delete(f"/v1/sequences/{sequence_id}/contacts", json={"contactIds": [contact]})
    assert removed.json() == {"removed": 1}
    response = await add(tenant, sequence_id, [{"contactId": contact, "assignedToWorkspaceMembershipId": tenant.wm(0)}])
    assert response.json() == {"added": 1}
    assert await active(tenant, sequence_id) == {contact: tenant.wm(2)}
    sequence = (await tenant.get(f"/v1/sequences/{sequence_id}")).json()
    assert sequence["contactCount"] == 1


async def test_explicit_assignee_outside_the_sequence_is_400_and_nothing_is_added(tenants) -> None:
    tenant = await tenants.create(members=4)
    sequence_id = await tenant.sequence(assignees=[0, 1])
    contacts = await tenant.contacts(2)
    for assignee in (tenant.wm(3), str(uuid.uuid4())):  # a workspace member who is no assignee; unknown
        response = await add(
            tenant,
            sequence_id,
            [{"contactId": contacts[0]}, {"contactId": contacts[1], "assignedToWorkspaceMembershipId": assignee}],
        )
        assert response.status_code == 400
        error = response.json()["error"]
        assert error["code"] == "VALIDATION_ERROR"
        assert "contacts[1].assignedToWorkspaceMembershipId" in error["message"]
    assert await active(tenant, sequence_id) == {}


async def test_assignee_from_another_workspace_is_400(tenants) -> None:
    tenant = await tenants.create(workspaces=2)
    sequence_id = await tenant.sequence()
    [contact] = await tenant.contacts(1)
    response = await add(
        tenant, sequence_id, [{"contactId": contact, "assignedToWorkspaceMembershipId": tenant.wm(0, workspace_index=1)}]
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    "body",
    [
        {"contacts": []},
        {"contacts": [{"contactId": str(uuid.uuid4())}] * 101},
        {"contacts": [{"contactId": "not-a-uuid"}]},
        {"contacts": [{}]},
        {"contacts": [{"contactId": str(uuid.uuid4()), "unknown": 1}]},
        {},
        {"contacts": "nope"},
    ],
    ids=["empty", "101-items", "bad-uuid", "missing-id", "unknown-field", "no-contacts", "not-a-list"],
)
async def test_bad_bodies_are_400(tenants, body) -> None:
    tenant = await tenants.create()
    sequence_id = await tenant.sequence()
    response = await tenant.post(f"/v1/sequences/{sequence_id}/contacts", json=body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


async def test_hundred_items_is_the_bound(tenants) -> None:
    tenant = await tenants.create()
    sequence_id = await tenant.sequence()
    contacts = await tenant.contacts(100)
    response = await add(tenant, sequence_id, [{"contactId": c} for c in contacts])
    assert response.json() == {"added": 100}
    assert Counter((await active(tenant, sequence_id)).values()) == {tenant.wm(0): 34, tenant.wm(1): 33, tenant.wm(2): 33}


async def test_unknown_deleted_and_out_of_scope_sequences_are_404(tenants) -> None:
    tenant = await tenants.create(workspaces=2, key_workspaces=None)
    other = await tenants.create()
    [contact] = await tenant.contacts(1)
    deleted = await tenant.sequence()
    assert (await tenant.delete(f"/v1/sequences/{deleted}")).status_code == 204
    foreign = await other.sequence()
    hidden = await tenant.sequence(workspace_index=1)
    limited_key = await tenant.key_for([tenant.workspace_ids[0]])
    for sequence_id, headers in [
        (str(uuid.uuid4()), {}),
        ("not-a-uuid", {}),
        (deleted, {}),
        (foreign, {}),
        (hidden, {"Authorization": f"Bearer {limited_key}"}),
    ]:
        for method, kwargs in [
            ("POST", {"json": {"contacts": [{"contactId": contact}]}}),
            ("GET", {}),
            ("DELETE", {"json": {"contactIds": [contact]}}),
        ]:
            response = await tenant.request(method, f"/v1/sequences/{sequence_id}/contacts", headers=headers, **kwargs)
            assert response.status_code == 404, (method, sequence_id, response.text)
            assert response.json()["error"]["code"] == "NOT_FOUND"


async def test_concurrent_adds_of_the_same_contacts_create_one_row_each(tenants) -> None:
    tenant = await tenants.create()
    sequence_id = await tenant.sequence()
    contacts = await tenant.contacts(30)
    batches = [[{"contactId": c} for c in contacts[i : i + 20]] for i in (0, 5, 10)]
    responses = await asyncio.gather(*(add(tenant, sequence_id, b) for b in batches * 2))
    assert all(r.status_code == 201 for r in responses), [r.text for r in responses]
    assert sum(r.json()["added"] for r in responses) == 30
    assigned = await active(tenant, sequence_id)
    assert set(assigned) == set(contacts)
    sequence = (await tenant.get(f"/v1/sequences/{sequence_id}")).json()
    assert sequence["contactCount"] == 30
    # Loads stay exact: each rep's maintained count equals their rows.
    assert sorted(Counter(assigned.values()).values()) == [10, 10, 10]


async def test_an_add_writes_each_enrolment_once_with_its_queue_key(tenants, database) -> None:  # noqa: ANN001
    """The insert carries each contact's queue key (``calling_windows.queue_key``): the
    status refresh that follows finds nothing to write for contacts with no call yet."""
    from relance.db.engine import count_statements
    from tests.recount import drift

    tenant = await tenants.create()
    paris = await tenant.contacts(2)
    both = await tenant.post("/v1/contacts", json={"phoneNumbers": ["+33612345678", "+12135551234"]})
    assert both.status_code == 201, both.text
    sequence_id = await tenant.sequence()
    with count_statements(database.engine) as counter:
        response = await add(tenant, sequence_id, [{"contactId": c} for c in [*paris, both.json()["id"]]])
        assert response.status_code == 201, response.text
    assert [s for s in counter.statements if s.startswith("UPDATE sequence_contacts")] == []
    assert await drift(database, [sequence_id]) == {}
