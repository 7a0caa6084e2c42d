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
    # Skipcall's fields, and Relance's additions (callCount, the queue's).
    assert set(item) == {"id", "status", "contact", "tags", "calls", "callCount", "createdAt",
                         "assignedToWorkspaceMembershipId", "state", "pausedUntil", "finishedAt", "exitReason",
                         "attempts", "lastAttemptAt", "timeZone", "nextCallableAt"}
    assert item["status"] is None and item["tags"] == [] and item["calls"] == []
    assert item["callCount"] == 0
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

    tag = (await tenant.post("/v1/tags", json={"label": "Hot"})).json()["id"]
    for contact in large_contacts[:120]:
        await tenant.post(f"/v1/sequences/{large}/contacts/{contact}/tags", json={"tagIds": [tag]})
    baseline = await statements(f"/v1/sequences/{small}/contacts?limit=1")
    assert await statements(f"/v1/sequences/{small}/contacts?limit=100") == baseline
    assert await statements(f"/v1/sequences/{large}/contacts?limit=100") == baseline
    assert await statements(f"/v1/sequences/{large}/contacts?limit=100&page=2") == baseline
    # Filtered, the same statements: the totals are kept, not counted.
    for query in ("tag=hot", "status=MISSING_NUMBER", "tag=hot&status=MISSING_NUMBER"):
        assert await statements(f"/v1/sequences/{large}/contacts?limit=100&{query}") <= baseline
    # auth (the key with its organization and workspaces), the sequence with its total,
    # and the page with its numbers, tags and calls; plus BEGIN on SQLite
    assert baseline <= 4


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
    # A resurrection also brings back the rows' tags: a statement more than a fresh add.
    resurrect_one = await statements("POST", {"contacts": [{"contactId": contacts[0]}]})
    resurrect_hundred = await statements("POST", {"contacts": [{"contactId": c} for c in contacts[1:]]})
    assert resurrect_hundred == resurrect_one


def test_a_page_is_read_from_the_nearer_end_and_holds_the_same_rows() -> None:
    from relance.sequences.repository import window

    for total in range(0, 13):
        rows = list(range(total))
        for limit in range(1, 6):
            for offset in range(0, total + 2 * limit, limit):
                chosen = window(offset=offset, limit=limit, total=total)
                if chosen.from_the_end:
                    newest_first = rows[::-1][chosen.offset : chosen.offset + chosen.limit]
                    page = newest_first[::-1]
                    assert offset > total - (offset + limit)  # the end is nearer
                else:
                    page = rows[chosen.offset : chosen.offset + chosen.limit]
                    assert offset <= max(0, total - (offset + limit))
                assert page == rows[offset : offset + limit], (total, limit, offset)
                # Never walks more than half the rows, plus a page.
                assert chosen.offset <= total // 2 + limit


async def test_every_page_front_and_back_lists_the_contacts_in_order(tenants) -> None:
    tenant = await tenants.create()
    contacts = await tenant.contacts(23)
    sequence_id = await tenant.sequence(contact_ids=contacts[:12])
    await tenant.post(f"/v1/sequences/{sequence_id}/contacts", json={"contacts": [{"contactId": c} for c in contacts[12:]]})
    whole = await tenant.get(f"/v1/sequences/{sequence_id}/contacts?limit=100")
    expected = [item["contact"]["id"] for item in whole.json()["data"]]
    assert sorted(expected) == sorted(contacts)
    for limit in (1, 4, 5, 23, 30):
        listed: list[str] = []
        for page in range(1, 23 // limit + 3):
            response = await tenant.get(f"/v1/sequences/{sequence_id}/contacts?limit={limit}&page={page}")
            assert response.status_code == 200, response.text
            body = response.json()
            assert body["total"] == 23
            listed += [item["contact"]["id"] for item in body["data"]]
        assert listed == expected, limit
    # The same through a status filter: every contact is still without a call (null).
    tagged = await tenant.get(f"/v1/sequences/{sequence_id}/contacts?limit=5&page=5&status=RUNNING")
    assert tagged.json()["data"] == [] and tagged.json()["total"] == 0


async def test_the_page_is_exactly_the_json_of_its_response_model(tenants, backend) -> None:
    """The list's body, whose items the database writes, is what its documented model
    (PaginatedSequenceContactsDto) encodes, with every kind of value in it: the same keys
    in the same order and the same values, byte for byte on SQLite (PostgreSQL writes a
    space after its separators)."""
    import json

    from relance.api.v1.schemas import PaginatedSequenceContactsDto

    tenant = await tenants.create()
    contacts = await tenant.contacts(3)
    [bare] = await tenant.contacts(1, numbers=False)
    sequence_id = await tenant.sequence(contact_ids=[*contacts, bare])
    patched = await tenant.patch(f"/v1/contacts/{contacts[0]}", json={"email": None, "company": None, "firstName": 'Zoë ☎ "d\'Arc" \\ \t\u0001', "phoneNumbers": ["+33612345678", "+33698765432"]})
    assert patched.status_code == 200, patched.text
    tags = [(await tenant.post("/v1/tags", json={"label": label, "isSuccessTag": label == "Won"})).json()["id"] for label in ("b", "Won", "a")]
    await tenant.post(f"/v1/sequences/{sequence_id}/contacts/{contacts[0]}/tags", json={"tagIds": tags})
    call = {"sequenceId": sequence_id, "contactId": contacts[0], "status": "COMPLETED",
            "startedAt": "2026-11-30T10:00:00.123Z", "endedAt": "2026-11-30T10:01:05.999Z"}
    assert (await tenant.post("/v1/calls", json=call)).status_code == 201
    assert (await tenant.post("/v1/calls", json={**call, "status": "RINGING", "startedAt": None, "endedAt": None})).status_code == 201
    response = await tenant.get(f"/v1/sequences/{sequence_id}/contacts?limit=4&page=1")
    assert response.headers["content-type"] == "application/json"
    body = response.content
    model = PaginatedSequenceContactsDto.model_validate_json(body)
    encoded = model.model_dump_json(by_alias=True).encode()
    assert json.loads(body, object_pairs_hook=list) == json.loads(encoded, object_pairs_hook=list)
    if backend == "sqlite":
        assert body == encoded
    [first] = [item for item in response.json()["data"] if item["contact"]["id"] == contacts[0]]
    assert [t["label"] for t in first["tags"]] == ["a", "b", "Won"]
    assert [c["durationSeconds"] for c in first["calls"]] == [None, 65]


async def test_an_item_shows_numbers_tags_and_calls_in_their_order(tenants) -> None:
    """The database writes each item's arrays in the order the API shows them: the
    contact's numbers in its order (here not the order they were stored in), tags by label,
    calls newest first, as the contact and the calls show them one by one."""
    tenant = await tenants.create()
    [contact] = await tenant.contacts(1)
    numbers = ["+33611111111", "+33622222222", "+33633333333", "+33644444444"]
    assert (await tenant.patch(f"/v1/contacts/{contact}", json={"phoneNumbers": numbers})).status_code == 200
    reordered = [numbers[2], numbers[0], numbers[3], numbers[1]]
    assert (await tenant.patch(f"/v1/contacts/{contact}", json={"phoneNumbers": reordered})).status_code == 200
    sequence_id = await tenant.sequence(contact_ids=[contact])
    labels = ["zeta", "Mu", "alpha", "Kappa", "beta"]
    tags = [(await tenant.post("/v1/tags", json={"label": label})).json()["id"] for label in labels]
    tagged = await tenant.post(f"/v1/sequences/{sequence_id}/contacts/{contact}/tags", json={"tagIds": tags})
    assert tagged.status_code < 300, tagged.text
    calls = []
    for status in ("RINGING", "COMPLETED", "NO_ANSWER", "BUSY"):
        body = {"sequenceId": sequence_id, "contactId": contact, "status": status}
        created = await tenant.post("/v1/calls", json=body)
        assert created.status_code == 201, created.text
        calls.append(created.json()["id"])
    [item] = (await tenant.get(f"/v1/sequences/{sequence_id}/contacts")).json()["data"]
    shown = (await tenant.get(f"/v1/contacts/{contact}")).json()["phoneNumbers"]
    assert [n["number"] for n in shown] == reordered
    assert item["contact"]["phoneNumbers"] == shown
    assert [t["label"] for t in item["tags"]] == ["alpha", "beta", "Kappa", "Mu", "zeta"]
    assert [c["id"] for c in item["calls"]] == calls[::-1]
