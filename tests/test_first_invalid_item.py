"""A batch is refused naming its first invalid item, whatever is wrong with it (its shape,
checked by the schema, or its meaning, checked by the service), and nothing is written."""

import uuid

import pytest

from tests.factory import ADMIN, Tenant


def assert_names(response, prefix: str) -> str:  # noqa: ANN001
    assert response.status_code == 400, response.text
    message = response.json()["error"]["message"]
    assert message.startswith(prefix), message
    return message


async def contact_total(tenant: Tenant) -> int:
    return (await tenant.get("/v1/contacts")).json()["total"]


def good_items(count: int) -> list[dict]:
    return [{"firstName": f"C{i}", "phoneNumbers": [f"+336123400{i:02d}"]} for i in range(count)]


# (what is wrong, how to make an item wrong that way)
PROBLEMS = {
    "unparsable number": lambda item, other: item.update(phoneNumbers=["+33612345678", "123"]),
    "name not a string": lambda item, other: item.update(firstName=42),
    "unknown field": lambda item, other: item.update(nickname="x"),
    "name too long": lambda item, other: item.update(lastName="x" * 256),
    "foreign workspace": lambda item, other: item.update(workspaceId=other.workspace_id),
    "unknown workspace": lambda item, other: item.update(workspaceId=str(uuid.uuid4())),
    "not an object": None,
}


def spoil(items: list, index: int, problem: str, other: Tenant) -> None:
    if PROBLEMS[problem] is None:
        items[index] = "not an object"
    else:
        PROBLEMS[problem](items[index], other)


@pytest.mark.parametrize("first", sorted(PROBLEMS))
@pytest.mark.parametrize("later", ["unparsable number", "name not a string"])
async def test_bulk_names_the_lowest_index_whatever_the_problems(tenants, first, later) -> None:
    tenant = await tenants.create()
    other = await tenants.create()
    items = good_items(12)
    spoil(items, 3, first, other)
    spoil(items, 9, later, other)
    response = await tenant.post("/v1/contacts/bulk", json={"contacts": items})
    assert_names(response, "contacts[3]")
    assert await contact_total(tenant) == 0


async def test_bulk_with_a_type_error_first_and_a_number_later(tenants) -> None:
    tenant = await tenants.create()
    items = good_items(5)
    items[1]["company"] = ["not", "text"]
    items[4]["phoneNumbers"] = ["abc"]
    assert_names(await tenant.post("/v1/contacts/bulk", json={"contacts": items}), "contacts[1].company")
    assert await contact_total(tenant) == 0


async def test_bulk_message_is_the_one_a_lone_invalid_item_gets(tenants) -> None:
    tenant = await tenants.create()
    items = good_items(3)
    items[2]["firstName"] = 42
    message = assert_names(await tenant.post("/v1/contacts/bulk", json={"contacts": items}), "contacts[2]")
    assert message == "contacts[2].firstName: Input should be a valid string"


async def test_add_names_a_non_assignee_before_a_later_malformed_id(tenants) -> None:
    tenant = await tenants.create(members=4)
    contacts = await tenant.contacts(3)
    sequence_id = await tenant.sequence(assignees=[0, 1])
    items = [
        {"contactId": contacts[0]},
        {"contactId": contacts[1], "assignedToWorkspaceMembershipId": tenant.wm(3)},
        {"contactId": "not-a-uuid"},
    ]
    path = f"/v1/sequences/{sequence_id}/contacts"
    assert_names(await tenant.post(path, json={"contacts": items}), "contacts[1].assignedToWorkspaceMembershipId")
    # The other way round: the malformed id comes first.
    items[0], items[2] = items[2], items[0]
    assert_names(await tenant.post(path, json={"contacts": items}), "contacts[0].contactId")
    assert (await tenant.get(f"/v1/sequences/{sequence_id}")).json()["contactCount"] == 0


async def test_tag_ids_name_an_unknown_tag_before_a_later_malformed_one(tenants) -> None:
    tenant = await tenants.create()
    [contact] = await tenant.contacts(1)
    sequence_id = await tenant.sequence(contact_ids=[contact])
    tag = (await tenant.post("/v1/tags", json={"label": "Hot"})).json()["id"]
    path = f"/v1/sequences/{sequence_id}/contacts/{contact}/tags"
    unknown = str(uuid.uuid4())
    for method in (tenant.put, tenant.post):
        assert_names(await method(path, json={"tagIds": [tag, unknown, "nope"]}), "tagIds[1]: unknown tag")
        assert_names(await method(path, json={"tagIds": [tag, "nope", unknown]}), "tagIds[1]: Input should be a valid UUID")
    items = (await tenant.get(f"/v1/sequences/{sequence_id}/contacts")).json()["data"]
    assert items[0]["tags"] == []


async def test_assignees_name_a_non_member_before_a_later_malformed_id(tenants) -> None:
    tenant = await tenants.create()
    other = await tenants.create()
    [contact] = await tenant.contacts(1)
    body = {"name": "S", "creatorId": tenant.om(0), "contactIds": [contact],
            "assignedToIds": [tenant.om(0), other.om(0), "nope"]}
    assert_names(await tenant.post("/v1/sequences", json=body), "assignedToIds[1]: not a member")
    # A malformed assignee is named, not the empty assignee list it leaves behind.
    body["assignedToIds"] = ["nope"]
    assert_names(await tenant.post("/v1/sequences", json=body), "assignedToIds[0]: Input should be a valid UUID")
    assert (await tenant.get("/v1/sequences")).json()["total"] == 0
    sequence_id = await tenant.sequence()
    patch = {"assignedToIds": [other.om(0), "nope"]}
    assert_names(await tenant.patch(f"/v1/sequences/{sequence_id}", json=patch), "assignedToIds[0]: not a member")


async def test_admin_workspace_ids_name_an_unknown_workspace_before_a_malformed_one(tenants) -> None:
    tenant = await tenants.create()
    path = f"/admin/v1/organizations/{tenant.organization_id}/api-keys"
    body = {"name": "k", "mode": "live", "workspaceIds": [tenant.workspace_id, str(uuid.uuid4()), "nope"]}
    response = await tenants.client.post(path, json=body, headers=ADMIN)
    assert_names(response, "workspaceIds[1]: no such workspace")
    body["workspaceIds"] = [tenant.workspace_id, "nope", str(uuid.uuid4())]
    response = await tenants.client.post(path, json=body, headers=ADMIN)
    assert_names(response, "workspaceIds[1]: Input should be a valid UUID")


async def test_a_refused_item_is_named_by_its_place_in_the_list_as_sent(tenants) -> None:
    tenant = await tenants.create()
    other = await tenants.create()
    body = {"name": "S", "creatorId": tenant.om(0), "assignedToIds": [tenant.om(0), tenant.om(0), other.om(0)]}
    assert_names(await tenant.post("/v1/sequences", json=body), "assignedToIds[2]: not a member")
    sequence_id = await tenant.sequence()
    patch = {"assignedToIds": [tenant.om(1), tenant.om(1), other.om(0)]}
    assert_names(await tenant.patch(f"/v1/sequences/{sequence_id}", json=patch), "assignedToIds[2]: not a member")
    for path, extra in ((f"/organizations/{tenant.organization_id}/api-keys", {"name": "k", "mode": "live"}),
                        (f"/organizations/{tenant.organization_id}/members", {"email": f"x{uuid.uuid4().hex[:6]}@example.com"})):
        body = {**extra, "workspaceIds": [tenant.workspace_id, tenant.workspace_id, str(uuid.uuid4())]}
        response = await tenants.client.post(f"/admin/v1{path}", json=body, headers=ADMIN)
        assert_names(response, "workspaceIds[2]: no such workspace")
