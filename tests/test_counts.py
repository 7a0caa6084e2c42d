"""The counts per (sequence, status) and per (sequence, tag) of active contacts, and the
copy of each enrolment's order on its tag rows, stay equal to a recount after every kind
of change (``tests.recount``); the list's totals under ``?status=`` and ``?tag=`` read them."""

from tests.factory import Tenant
from tests.recount import drift


async def totals(tenant: Tenant, sequence_id: str, *queries: str) -> dict[str, int]:
    """The list's total under each query."""
    found = {}
    for query in queries:
        response = await tenant.get(f"/v1/sequences/{sequence_id}/contacts?{query}&limit=1")
        assert response.status_code == 200, response.text
        found[query] = response.json()["total"]
    return found


async def test_every_change_keeps_the_counts_equal_to_a_recount(tenants, database) -> None:
    tenant: Tenant = await tenants.create()
    contacts = await tenant.contacts(6)
    [no_number] = await tenant.contacts(1, numbers=False)
    sequence_id = await tenant.sequence(contact_ids=[*contacts[:4], no_number])
    other = await tenant.sequence(contact_ids=contacts)
    sequences = [sequence_id, other]
    hot = (await tenant.post("/v1/tags", json={"label": "Hot"})).json()["id"]
    cold = (await tenant.post("/v1/tags", json={"label": "Cold"})).json()["id"]
    queries = ("status=RUNNING", "status=CONNECTED", "status=MISSING_NUMBER", "tag=hot", "tag=cold",
               "tag=hot&status=RUNNING")

    async def check(expected: dict[str, int]) -> None:
        assert await drift(database, sequences) == {}
        assert await totals(tenant, sequence_id, *queries) == dict(zip(queries, expected.values(), strict=True))

    def state(running: int, connected: int, missing: int, hot_: int, cold_: int, hot_running: int) -> dict:
        return dict(zip(queries, (running, connected, missing, hot_, cold_, hot_running), strict=True))

    await check(state(0, 0, 1, 0, 0, 0))  # enrolled by the create
    calls = {}
    for contact in contacts[:3]:  # a call under way: RUNNING
        response = await tenant.post("/v1/calls", json={"sequenceId": sequence_id, "contactId": contact, "status": "RINGING"})
        assert response.status_code == 201, response.text
        calls[contact] = response.json()["id"]
    await check(state(3, 0, 1, 0, 0, 0))
    assert (await tenant.patch(f"/v1/calls/{calls[contacts[0]]}", json={"status": "COMPLETED"})).status_code == 200
    await check(state(2, 1, 1, 0, 0, 0))
    tags = f"/v1/sequences/{sequence_id}/contacts/{{}}/tags"
    assert (await tenant.post(tags.format(contacts[0]), json={"tagIds": [hot, cold]})).status_code == 200
    assert (await tenant.post(tags.format(contacts[1]), json={"tagIds": [hot]})).status_code == 200
    assert (await tenant.post(tags.format(contacts[1]), json={"tagIds": [hot]})).status_code == 200  # already there
    await check(state(2, 1, 1, 2, 1, 1))
    assert (await tenant.put(tags.format(contacts[0]), json={"tagIds": [cold]})).status_code == 200
    await check(state(2, 1, 1, 1, 1, 1))
    assert (await tenant.delete(f"{tags.format(contacts[1])}/{hot}")).status_code == 204
    assert (await tenant.delete(f"{tags.format(contacts[1])}/{hot}")).status_code == 204  # no longer there
    assert (await tenant.post(tags.format(contacts[2]), json={"tagIds": [hot]})).status_code == 200
    await check(state(2, 1, 1, 1, 1, 1))
    # A contact's numbers taken away: MISSING_NUMBER, in every sequence it is in.
    assert (await tenant.patch(f"/v1/contacts/{contacts[1]}", json={"phoneNumbers": []})).status_code == 200
    await check(state(1, 1, 2, 1, 1, 1))
    # Withdrawn, then resurrected: the rows leave the counts with their status and tags,
    # and come back with them.
    response = await tenant.delete(f"/v1/sequences/{sequence_id}/contacts", json={"contactIds": contacts[:3]})
    assert response.json() == {"removed": 3}
    await check(state(0, 0, 1, 0, 0, 0))
    # A call moved while the contact is out of the sequence moves its status, not the counts.
    assert (await tenant.patch(f"/v1/calls/{calls[contacts[2]]}", json={"status": "COMPLETED"})).status_code == 200
    await check(state(0, 0, 1, 0, 0, 0))
    response = await tenant.post(f"/v1/sequences/{sequence_id}/contacts", json={"contacts": [{"contactId": c} for c in contacts[:5]]})
    assert response.json() == {"added": 4}  # three resurrected, contacts[4] added
    await check(state(0, 2, 2, 1, 1, 0))
    # Deleting a contact takes it off every sequence's counts, its tags with it.
    assert (await tenant.delete(f"/v1/contacts/{contacts[0]}")).status_code == 204
    await check(state(0, 1, 2, 1, 0, 0))
    # Deleting a tag takes it off every contact, and so off the counts.
    assert (await tenant.delete(f"/v1/tags/{hot}")).status_code == 204
    assert await drift(database, sequences) == {}
    assert await totals(tenant, sequence_id, "tag=hot", "status=CONNECTED") == {"tag=hot": 0, "status=CONNECTED": 1}
    # A deleted sequence keeps its rows as they were, and its counts with them.
    assert (await tenant.delete(f"/v1/sequences/{other}")).status_code == 204
    assert await drift(database, sequences) == {}


async def test_the_counts_of_one_sequence_are_not_another_s(tenants, database) -> None:
    tenant: Tenant = await tenants.create()
    contacts = await tenant.contacts(2, numbers=False)
    first = await tenant.sequence(contact_ids=contacts)
    second = await tenant.sequence(contact_ids=contacts[:1])
    assert await totals(tenant, first, "status=MISSING_NUMBER") == {"status=MISSING_NUMBER": 2}
    assert await totals(tenant, second, "status=MISSING_NUMBER") == {"status=MISSING_NUMBER": 1}
    assert await drift(database, [first, second]) == {}
