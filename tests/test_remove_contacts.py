"""DELETE /v1/sequences/{id}/contacts (SequenceController_removeContacts)."""

import uuid

import pytest


async def test_removes_soft_and_idempotently(tenants) -> None:
    tenant = await tenants.create()
    contacts = await tenant.contacts(3)
    sequence_id = await tenant.sequence(contact_ids=contacts)
    path = f"/v1/sequences/{sequence_id}/contacts"
    response = await tenant.delete(path, json={"contactIds": [contacts[0], contacts[1], contacts[0], str(uuid.uuid4())]})
    assert response.status_code == 200
    assert response.json() == {"removed": 2}
    again = await tenant.delete(path, json={"contactIds": [contacts[0]]})
    assert again.json() == {"removed": 0}
    listed = (await tenant.get(path)).json()
    assert [i["contact"]["id"] for i in listed["data"]] == [contacts[2]]
    assert listed["total"] == 1
    assert (await tenant.get(f"/v1/sequences/{sequence_id}")).json()["contactCount"] == 1


async def test_removed_contacts_free_their_rep_for_round_robin(tenants) -> None:
    tenant = await tenants.create(members=2)
    contacts = await tenant.contacts(4)
    sequence_id = await tenant.sequence(assignees=[0, 1], contact_ids=contacts[:2])
    listed = (await tenant.get(f"/v1/sequences/{sequence_id}/contacts")).json()["data"]
    first_rep_contact = next(i["contact"]["id"] for i in listed if i["assignedToWorkspaceMembershipId"] == tenant.wm(0))
    await tenant.delete(f"/v1/sequences/{sequence_id}/contacts", json={"contactIds": [first_rep_contact]})
    await tenant.post(f"/v1/sequences/{sequence_id}/contacts", json={"contacts": [{"contactId": contacts[2]}]})
    listed = (await tenant.get(f"/v1/sequences/{sequence_id}/contacts")).json()["data"]
    new = next(i for i in listed if i["contact"]["id"] == contacts[2])
    assert new["assignedToWorkspaceMembershipId"] == tenant.wm(0)


@pytest.mark.parametrize(
    "body",
    [{"contactIds": []}, {"contactIds": [str(uuid.uuid4())] * 101}, {"contactIds": ["nope"]}, {}],
    ids=["empty", "101", "bad-uuid", "missing"],
)
async def test_bad_bodies_are_400(tenants, body) -> None:
    tenant = await tenants.create()
    sequence_id = await tenant.sequence()
    response = await tenant.delete(f"/v1/sequences/{sequence_id}/contacts", json=body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
