"""GET /v1/sequences/{id}/contacts (SequenceController_listContacts)."""

import pytest

from relance.db.engine import count_statements


async def test_pages_in_enrolment_order(tenants) -> None:
    tenant = await tenants.create()
    contacts = await tenant.contacts(5)
    sequence_id = await tenant.sequence()
    for contact in contacts:  # one request each: distinct enrolment times
        await tenant.post(f"/v1/sequences/{sequence_id}/contacts", json={"contacts": [{"contactId": contact}]})
    seen = []
    for page in (1, 2, 3):
        body = (await tenant.get(f"/v1/sequences/{sequence_id}/contacts?page={page}&limit=2")).json()
        assert (body["total"], body["page"], body["limit"], body["totalPages"]) == (5, page, 2, 3)
        seen += [item["contact"]["id"] for item in body["data"]]
    assert seen == contacts
    beyond = (await tenant.get(f"/v1/sequences/{sequence_id}/contacts?page=4&limit=2")).json()
    assert beyond["data"] == [] and beyond["total"] == 5


async def test_item_shape(tenants) -> None:
    tenant = await tenants.create()
    [contact] = await tenant.contacts(1)
    sequence_id = await tenant.sequence(contact_ids=[contact])
    [item] = (await tenant.get(f"/v1/sequences/{sequence_id}/contacts")).json()["data"]
    assert set(item) == {"id", "status", "contact", "tags", "calls", "createdAt", "assignedToWorkspaceMembershipId"}
    assert item["status"] is None and item["tags"] == [] and item["calls"] == []
    assert item["contact"]["id"] == contact
    assert set(item["contact"]) == {"id", "firstName", "lastName", "email", "company", "phoneNumbers"}
    assert item["contact"]["phoneNumbers"][0]["number"].startswith("+336")


async def test_default_page_and_limit(tenants) -> None:
    tenant = await tenants.create()
    contacts = await tenant.contacts(51)
    sequence_id = await tenant.sequence(contact_ids=contacts)
    body = (await tenant.get(f"/v1/sequences/{sequence_id}/contacts")).json()
    assert (body["page"], body["limit"], body["totalPages"], len(body["data"])) == (1, 50, 2, 50)


async def test_filters_before_statuses_exist(tenants) -> None:
    tenant = await tenants.create()
    contacts = await tenant.contacts(2)
    sequence_id = await tenant.sequence(contact_ids=contacts)
    for query in ("status=CONNECTED", "tag=hot-lead"):
        body = (await tenant.get(f"/v1/sequences/{sequence_id}/contacts?{query}")).json()
        assert (body["data"], body["total"], body["totalPages"]) == ([], 0, 0)


@pytest.mark.parametrize(
    "query", ["page=0", "page=-1", "page=abc", "page=1.5", "limit=0", "limit=101", "status=DONE", "sort=name"]
)
async def test_bad_parameters_are_400(tenants, query) -> None:
    tenant = await tenants.create()
    sequence_id = await tenant.sequence()
    response = await tenant.get(f"/v1/sequences/{sequence_id}/contacts?{query}")
    assert response.status_code == 400
    assert query.split("=")[0] in response.json()["error"]["message"]


async def test_statement_count_does_not_grow_with_page_size_or_data(tenants, database) -> None:
    tenant = await tenants.create()
    small = await tenant.sequence(contact_ids=await tenant.contacts(2))
    large_contacts = await tenant.contacts(150)
    large = await tenant.sequence(contact_ids=large_contacts[:100])
    await tenant.post(f"/v1/sequences/{large}/contacts", json={"contacts": [{"contactId": c} for c in large_contacts[100:]]})

    async def statements(path: str) -> int:
        with count_statements(database.engine) as counter:
            response = await tenant.get(path)
        assert response.status_code == 200
        return counter.count

    baseline = await statements(f"/v1/sequences/{small}/contacts?limit=1")
    assert await statements(f"/v1/sequences/{small}/contacts?limit=100") == baseline
    assert await statements(f"/v1/sequences/{large}/contacts?limit=100") == baseline
    assert await statements(f"/v1/sequences/{large}/contacts?limit=100&page=2") == baseline
    # auth (key, workspaces), sequence, count, page, then the page's phone numbers, tags and
    # calls, one statement each; plus BEGIN/COMMIT on SQLite
    assert baseline <= 10


async def test_add_and_remove_statement_counts_do_not_grow_with_batch_size(tenants, database) -> None:
    tenant = await tenants.create()
    contacts = await tenant.contacts(101)
    sequence_id = await tenant.sequence()

    async def statements(method: str, body: dict) -> int:
        with count_statements(database.engine) as counter:
            response = await tenant.request(method, f"/v1/sequences/{sequence_id}/contacts", json=body)
        assert response.status_code in (200, 201), response.text
        return counter.count

    one = await statements("POST", {"contacts": [{"contactId": contacts[0]}]})
    hundred = await statements("POST", {"contacts": [{"contactId": c} for c in contacts[1:]]})
    assert hundred == one
    remove_one = await statements("DELETE", {"contactIds": contacts[:1]})
    remove_hundred = await statements("DELETE", {"contactIds": contacts[1:]})
    assert remove_hundred == remove_one
    resurrect_hundred = await statements("POST", {"contacts": [{"contactId": c} for c in contacts[1:]]})
    assert resurrect_hundred == one
