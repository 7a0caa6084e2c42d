"""POST /v1/sequences (SequenceController_create) and the sequence CRUD around it."""

import uuid

import pytest


async def test_create_returns_the_sequence_dto(tenants) -> None:
    tenant = await tenants.create()
    contacts = await tenant.contacts(4)
    response = await tenant.post(
        "/v1/sequences",
        json={
            "name": "  Q4 push  ",
            "creatorId": tenant.om(1),
            "assignedToIds": [tenant.om(2), tenant.om(0), tenant.om(2)],
            "contactIds": contacts + [contacts[0], str(uuid.uuid4())],
        },
    )
    assert response.status_code == 201, response.text
    body = response.json()
    uuid.UUID(body["id"], version=4)
    assert body["name"] == "Q4 push"
    assert body["organizationMembershipId"] == tenant.om(1)
    assert body["workspaceId"] == tenant.workspace_id
    assert body["contactCount"] == 4
    assert [a["organizationMembershipId"] for a in body["assignedTo"]] == [tenant.om(2), tenant.om(0)]
    assert body["assignedTo"][0]["email"] == tenant.members[2].email
    assert body["createdAt"].endswith("Z") and len(body["createdAt"]) == 24
    assert body["createdAt"] == body["updatedAt"]


async def test_workspace_defaults_and_must_be_reachable(tenants) -> None:
    tenant = await tenants.create(workspaces=2)
    base = {"name": "S", "creatorId": tenant.om(0), "assignedToIds": [tenant.om(0)]}
    omitted = await tenant.post("/v1/sequences", json=base)
    assert omitted.status_code == 400
    assert "workspaceId" in omitted.json()["error"]["message"]
    limited = await tenant.key_for([tenant.workspace_ids[1]])
    defaulted = await tenant.post("/v1/sequences", json=base, headers={"Authorization": f"Bearer {limited}"})
    assert defaulted.status_code == 201
    assert defaulted.json()["workspaceId"] == tenant.workspace_ids[1]
    outside = await tenant.post(
        "/v1/sequences", json={**base, "workspaceId": tenant.workspace_ids[0]}, headers={"Authorization": f"Bearer {limited}"}
    )
    assert outside.status_code == 400
    other = await tenants.create()
    foreign = await tenant.post("/v1/sequences", json={**base, "workspaceId": other.workspace_id})
    assert foreign.status_code == 400


async def test_creator_and_assignees_must_be_workspace_members(tenants) -> None:
    tenant = await tenants.create()
    other = await tenants.create()
    cases = [
        ({"creatorId": other.om(0), "assignedToIds": [tenant.om(0)]}, "creatorId"),
        ({"creatorId": tenant.om(0), "assignedToIds": [tenant.om(1), other.om(0)]}, "assignedToIds[1]"),
        ({"creatorId": str(uuid.uuid4()), "assignedToIds": [tenant.om(0)]}, "creatorId"),
    ]
    for body, field in cases:
        response = await tenant.post("/v1/sequences", json={"name": "S", **body})
        assert response.status_code == 400
        assert field in response.json()["error"]["message"]
    assert (await tenant.get("/v1/sequences")).json()["total"] == 0


@pytest.mark.parametrize(
    "body",
    [
        {"assignedToIds": [], "creatorId": "x"},
        {"name": "", "assignedToIds": [], "creatorId": str(uuid.uuid4())},
        {"name": "S", "creatorId": str(uuid.uuid4())},
        {"name": "S", "assignedToIds": ["nope"], "creatorId": str(uuid.uuid4())},
        {"name": "S", "assignedToIds": [], "creatorId": str(uuid.uuid4()), "color": "red"},
    ],
    ids=["no-name", "empty-name", "no-assignees", "bad-assignee-id", "unknown-field"],
)
async def test_bad_create_bodies_are_400(tenants, body) -> None:
    tenant = await tenants.create()
    response = await tenant.post("/v1/sequences", json=body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


async def test_contacts_without_assignees_are_refused_whole(tenants) -> None:
    tenant = await tenants.create()
    [contact] = await tenant.contacts(1)
    response = await tenant.post(
        "/v1/sequences", json={"name": "S", "creatorId": tenant.om(0), "assignedToIds": [], "contactIds": [contact]}
    )
    assert response.status_code == 400
    assert (await tenant.get("/v1/sequences")).json()["total"] == 0


async def test_list_get_patch_delete(tenants) -> None:
    tenant = await tenants.create(members=4)
    contacts = await tenant.contacts(6)
    first = await tenant.sequence(assignees=[0, 1], contact_ids=contacts)
    second = await tenant.sequence()
    listed = (await tenant.get("/v1/sequences?limit=1&page=2")).json()
    assert (listed["total"], listed["totalPages"], listed["page"], listed["limit"]) == (2, 2, 2, 1)
    assert [s["id"] for s in listed["data"]] == [second]

    patched = await tenant.patch(f"/v1/sequences/{first}", json={"name": "Renamed", "assignedToIds": [tenant.om(3)]})
    assert patched.status_code == 200
    body = patched.json()
    assert body["name"] == "Renamed"
    assert [a["organizationMembershipId"] for a in body["assignedTo"]] == [tenant.om(3)]
    assert body["contactCount"] == 6  # the former reps keep their contacts
    assert body["updatedAt"] >= body["createdAt"]

    # New contacts now go only to the new rep; the former reps' contacts stay theirs.
    more = await tenant.contacts(2)
    await tenant.post(f"/v1/sequences/{first}/contacts", json={"contacts": [{"contactId": c} for c in more]})
    items = (await tenant.get(f"/v1/sequences/{first}/contacts?limit=100")).json()["data"]
    by_contact = {i["contact"]["id"]: i["assignedToWorkspaceMembershipId"] for i in items}
    assert {by_contact[c] for c in more} == {tenant.wm(3)}
    assert {by_contact[c] for c in contacts} == {tenant.wm(0), tenant.wm(1)}
    # An explicit assignment to a former rep is refused.
    [late] = await tenant.contacts(1)
    refused = await tenant.post(
        f"/v1/sequences/{first}/contacts", json={"contacts": [{"contactId": late, "assignedToWorkspaceMembershipId": tenant.wm(0)}]}
    )
    assert refused.status_code == 400

    # Putting a former rep back restores them as an assignee with their load.
    back = await tenant.patch(f"/v1/sequences/{first}", json={"assignedToIds": [tenant.om(0), tenant.om(3)]})
    assert [a["organizationMembershipId"] for a in back.json()["assignedTo"]] == [tenant.om(0), tenant.om(3)]
    assert back.json()["contactCount"] == 8

    assert (await tenant.patch(f"/v1/sequences/{first}", json={"assignedToIds": [str(uuid.uuid4())]})).status_code == 400
    assert (await tenant.delete(f"/v1/sequences/{first}")).status_code == 204
    assert (await tenant.get(f"/v1/sequences/{first}")).status_code == 404
    assert (await tenant.patch(f"/v1/sequences/{first}", json={"name": "x"})).status_code == 404
    assert (await tenant.delete(f"/v1/sequences/{first}")).status_code == 404
    assert (await tenant.get("/v1/sequences")).json()["total"] == 1
