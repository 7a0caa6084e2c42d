"""/v1/contacts: create (one and bulk), list and search, get, update, delete."""

import re
import uuid

import pytest

from relance.db.engine import count_statements

from tests.factory import Tenant

CONTACT_KEYS = {
    "id",
    "workspaceId",
    "firstName",
    "lastName",
    "email",
    "company",
    "phoneNumbers",
    "createdAt",
    "updatedAt",
    "timeZone",  # a Relance addition (calling windows)
}
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


def is_uuid(value: object) -> bool:
    try:
        return str(uuid.UUID(str(value))) == value
    except ValueError:
        return False


async def total(tenant: Tenant, headers: dict | None = None) -> int:
    response = await tenant.get("/v1/contacts", headers=headers or {})
    assert response.status_code == 200, response.text
    return response.json()["total"]


async def create(tenant: Tenant, **body) -> dict:
    response = await tenant.post("/v1/contacts", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def assert_validation_error(response, *fragments: str) -> None:  # noqa: ANN001
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert error["status"] == 400
    for fragment in fragments:
        assert fragment in error["message"], (fragment, error["message"])


# --- create ----------------------------------------------------------------------------


async def test_create_returns_the_contact_with_e164_numbers(tenants) -> None:
    tenant = await tenants.create()
    response = await tenant.post(
        "/v1/contacts",
        json={
            "firstName": "Alice",
            "lastName": "Martin",
            "email": "alice@example.com",
            "company": "Acme",
            "phoneNumbers": ["06 12 34 56 78", "+33 6 12 34 56 78", "0033612345678", "06 98 76 54 32"],
        },
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == CONTACT_KEYS
    assert is_uuid(body["id"])
    assert body["workspaceId"] == tenant.workspace_id  # the organization's only workspace
    assert (body["firstName"], body["lastName"], body["email"], body["company"]) == (
        "Alice",
        "Martin",
        "alice@example.com",
        "Acme",
    )
    # Three spellings of one number are kept once, in the order first sent.
    assert [n["number"] for n in body["phoneNumbers"]] == ["+33612345678", "+33698765432"]
    assert all(set(n) == {"id", "number"} and is_uuid(n["id"]) for n in body["phoneNumbers"])
    assert len({n["id"] for n in body["phoneNumbers"]}) == 2
    assert TIMESTAMP.match(body["createdAt"]) and TIMESTAMP.match(body["updatedAt"])
    fetched = await tenant.get(f"/v1/contacts/{body['id']}")
    assert fetched.status_code == 200
    assert fetched.json() == body


async def test_create_with_only_defaults(tenants) -> None:
    tenant = await tenants.create()
    body = await create(tenant)
    assert (body["firstName"], body["lastName"], body["email"], body["company"], body["phoneNumbers"]) == (
        "",
        "",
        None,
        None,
        [],
    )
    assert (await tenant.get(f"/v1/contacts/{body['id']}")).json() == body


@pytest.mark.parametrize("bad", ["123", "abc"])
async def test_invalid_phone_number_is_400_naming_its_index(tenants, bad) -> None:
    tenant = await tenants.create()
    response = await tenant.post(
        "/v1/contacts", json={"firstName": "Bad", "phoneNumbers": ["+33612345678", bad]}
    )
    assert_validation_error(response, "phoneNumbers[1]")
    assert await total(tenant) == 0


async def test_single_workspace_is_the_default(tenants) -> None:
    tenant = await tenants.create(workspaces=1)
    assert (await create(tenant, firstName="A"))["workspaceId"] == tenant.workspace_id


async def test_workspace_is_required_when_the_key_reaches_several(tenants) -> None:
    tenant = await tenants.create(workspaces=2)
    response = await tenant.post("/v1/contacts", json={"firstName": "A"})
    assert_validation_error(response, "workspaceId")
    explicit = await create(tenant, firstName="A", workspaceId=tenant.workspace_ids[1])
    assert explicit["workspaceId"] == tenant.workspace_ids[1]
    assert await total(tenant) == 1


async def test_key_limited_to_one_workspace_defaults_to_it(tenants) -> None:
    tenant = await tenants.create(workspaces=2)
    key = await tenant.key_for([tenant.workspace_ids[1]])
    response = await tenant.post(
        "/v1/contacts", json={"firstName": "A"}, headers={"Authorization": f"Bearer {key}"}
    )
    assert response.status_code == 201, response.text
    assert response.json()["workspaceId"] == tenant.workspace_ids[1]


async def test_workspace_outside_the_scope_is_400(tenants) -> None:
    tenant = await tenants.create(workspaces=2)
    other = await tenants.create()
    limited = {"Authorization": f"Bearer {await tenant.key_for([tenant.workspace_ids[0]])}"}
    for workspace_id, headers in [
        (tenant.workspace_ids[1], limited),  # the organization's, but not the key's
        (other.workspace_id, {}),  # another organization's
        (str(uuid.uuid4()), {}),  # unknown
    ]:
        response = await tenant.post(
            "/v1/contacts", json={"firstName": "A", "workspaceId": workspace_id}, headers=headers
        )
        assert_validation_error(response, "workspaceId")
    assert await total(tenant) == 0
    assert await total(other) == 0


@pytest.mark.parametrize(
    "body",
    [
        {"firstName": "A", "nickname": "x"},
        {"email": "not-an-email"},
        {"phoneNumbers": "0612345678"},
        {"phoneNumbers": [""]},
        {"workspaceId": "not-a-uuid"},
        {"firstName": "x" * 256},
    ],
    ids=["unknown-field", "bad-email", "numbers-not-a-list", "empty-number", "bad-workspace", "long-name"],
)
async def test_bad_create_bodies_are_400(tenants, body) -> None:
    tenant = await tenants.create()
    response = await tenant.post("/v1/contacts", json=body)
    assert_validation_error(response)
    assert await total(tenant) == 0


async def test_unknown_field_is_named(tenants) -> None:
    tenant = await tenants.create()
    response = await tenant.post("/v1/contacts", json={"firstName": "A", "nickname": "x"})
    assert_validation_error(response, "nickname")


# --- bulk ------------------------------------------------------------------------------


async def test_bulk_creates_in_the_order_sent(tenants) -> None:
    tenant = await tenants.create()
    items = [
        {"firstName": name, "lastName": "Bulk", "phoneNumbers": [f"06 12 34 56 7{i}"]}
        for i, name in enumerate(["Zoe", "Adam", "Mia", "Bob"])
    ]
    response = await tenant.post("/v1/contacts/bulk", json={"contacts": items})
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert set(response.json()) == {"data"}
    assert [c["firstName"] for c in data] == ["Zoe", "Adam", "Mia", "Bob"]
    assert [c["phoneNumbers"][0]["number"] for c in data] == [f"+3361234567{i}" for i in range(4)]
    assert all(set(c) == CONTACT_KEYS and c["workspaceId"] == tenant.workspace_id for c in data)
    assert len({c["id"] for c in data}) == 4
    assert await total(tenant) == 4
    for contact in data:
        assert (await tenant.get(f"/v1/contacts/{contact['id']}")).json() == contact


async def test_bulk_accepts_1000_items(tenants) -> None:
    tenant = await tenants.create()
    response = await tenant.post(
        "/v1/contacts/bulk", json={"contacts": [{"firstName": f"C{i}"} for i in range(1000)]}
    )
    assert response.status_code == 201, response.text
    assert [c["firstName"] for c in response.json()["data"]] == [f"C{i}" for i in range(1000)]
    assert await total(tenant) == 1000


@pytest.mark.parametrize("count", [0, 1001])
async def test_bulk_size_out_of_bounds_is_400(tenants, count) -> None:
    tenant = await tenants.create()
    response = await tenant.post(
        "/v1/contacts/bulk", json={"contacts": [{"firstName": f"C{i}"} for i in range(count)]}
    )
    assert_validation_error(response, "contacts")
    assert await total(tenant) == 0


@pytest.mark.parametrize("bad_item", ["number", "foreign-workspace", "unknown-field", "bad-email"])
async def test_bulk_with_one_invalid_item_writes_nothing(tenants, bad_item) -> None:
    tenant = await tenants.create()
    other = await tenants.create()
    await tenant.contacts(2)
    before = await total(tenant)
    items = [{"firstName": f"C{i}", "phoneNumbers": [f"+3361234567{i}"]} for i in range(4)]
    if bad_item == "number":
        items[2]["phoneNumbers"] = ["+33612345678", "123"]
    elif bad_item == "foreign-workspace":
        items[2]["workspaceId"] = other.workspace_id
    elif bad_item == "unknown-field":
        items[2]["extra"] = True
    else:
        items[2]["email"] = "nope"
    response = await tenant.post("/v1/contacts/bulk", json={"contacts": items})
    assert_validation_error(response, "contacts[2]")
    if bad_item == "number":
        assert "contacts[2].phoneNumbers[1]" in response.json()["error"]["message"]
    assert await total(tenant) == before == 2
    assert await total(other) == 0


# --- list and search -------------------------------------------------------------------


async def test_list_paginates(tenants) -> None:
    tenant = await tenants.create()
    other = await tenants.create()
    await other.contacts(3)
    ids = await tenant.contacts(5)
    default = (await tenant.get("/v1/contacts")).json()
    assert (default["page"], default["limit"], default["total"], default["totalPages"]) == (1, 50, 5, 1)
    assert {c["id"] for c in default["data"]} == set(ids)
    seen: list[str] = []
    for page, expected in [(1, 2), (2, 2), (3, 1), (4, 0)]:
        response = await tenant.get(f"/v1/contacts?limit=2&page={page}")
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == {"data", "total", "page", "limit", "totalPages"}
        assert (body["page"], body["limit"], body["total"], body["totalPages"]) == (page, 2, 5, 3)
        assert len(body["data"]) == expected
        assert all(set(c) == CONTACT_KEYS for c in body["data"])
        seen.extend(c["id"] for c in body["data"])
    assert sorted(seen) == sorted(ids)  # every contact once, none of the other organization's


async def test_list_follows_creation_order(tenants) -> None:
    tenant = await tenants.create()
    ids = [(await create(tenant, firstName=f"C{i}"))["id"] for i in range(3)]
    listed = (await tenant.get("/v1/contacts")).json()["data"]
    assert [c["id"] for c in listed] == ids


async def test_list_of_a_limited_key_shows_only_its_workspace(tenants) -> None:
    tenant = await tenants.create(workspaces=2)
    first = await tenant.contacts(2, workspace_index=0)
    await tenant.contacts(3, workspace_index=1)
    limited = {"Authorization": f"Bearer {await tenant.key_for([tenant.workspace_ids[0]])}"}
    body = (await tenant.get("/v1/contacts", headers=limited)).json()
    assert body["total"] == 2
    assert {c["id"] for c in body["data"]} == set(first)
    assert await total(tenant) == 5


async def search(tenant: Tenant, term: str, **params) -> dict:
    response = await tenant.get("/v1/contacts", params={"search": term, **params})
    assert response.status_code == 200, response.text
    return response.json()


async def test_search_matches_names_email_and_company_ignoring_case(tenants) -> None:
    tenant = await tenants.create()
    other = await tenants.create()
    await create(other, firstName="Alice", company="Acme")
    alice = (await create(tenant, firstName="Alice", lastName="Martin", email="alice@acme.io", company="Globex"))["id"]
    bob = (await create(tenant, firstName="Bob", lastName="Durand", email="bob@foo.io", company="ACME Corp"))["id"]
    carl = (await create(tenant, firstName="Carl", lastName="Martinez", email="carl@bar.io"))["id"]
    await create(tenant, firstName="Dan", lastName="Nobody")

    def ids(body: dict) -> set[str]:
        return {c["id"] for c in body["data"]}

    acme = await search(tenant, "acme")
    assert ids(acme) == {alice, bob} and acme["total"] == 2  # email, company
    assert ids(await search(tenant, "MARTIN")) == {alice, carl}  # last name
    assert ids(await search(tenant, "aLiCe")) == {alice}  # first name (and email)
    assert ids(await search(tenant, "FOO.IO")) == {bob}  # email only
    assert ids(await search(tenant, "globex")) == {alice}  # company only
    nothing = await search(tenant, "zzz")
    assert (nothing["total"], nothing["totalPages"], nothing["data"]) == (0, 0, [])
    paged = await search(tenant, "martin", limit=1, page=2)
    assert (paged["total"], paged["totalPages"], len(paged["data"])) == (2, 2, 1)
    assert ids(paged) <= {alice, carl}


async def test_search_takes_percent_and_underscore_literally(tenants) -> None:
    tenant = await tenants.create()
    percent = (await create(tenant, firstName="Carl", lastName="100% Sure", company="under_score"))["id"]
    plain = (await create(tenant, firstName="Dan", lastName="100 percent", company="underXscore"))["id"]
    await create(tenant, firstName="Eve", lastName="Plain", company="Plain")

    async def ids(term: str) -> set[str]:
        return {c["id"] for c in (await search(tenant, term))["data"]}

    assert await ids("%") == {percent}
    assert await ids("0%") == {percent}
    assert await ids("_") == {percent}
    assert await ids("r_s") == {percent}
    assert await ids("100") == {percent, plain}
    assert await ids("00%") == {percent}


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=101", "page=0", "page=-1", "limit=abc", "foo=bar", "search=" + "x" * 256]
)
async def test_bad_list_queries_are_400(tenants, query) -> None:
    tenant = await tenants.create()
    response = await tenant.get(f"/v1/contacts?{query}")
    assert_validation_error(response)


async def test_limit_bounds_are_accepted(tenants) -> None:
    tenant = await tenants.create()
    await tenant.contacts(2)
    for limit in (1, 100):
        body = (await tenant.get(f"/v1/contacts?limit={limit}")).json()
        assert (body["limit"], len(body["data"]), body["total"]) == (limit, min(limit, 2), 2)


# --- get, update, delete ---------------------------------------------------------------


async def test_patch_updates_only_the_fields_sent(tenants) -> None:
    tenant = await tenants.create()
    original = await create(
        tenant,
        firstName="Alice",
        lastName="Martin",
        email="alice@example.com",
        company="Acme",
        phoneNumbers=["0612345678"],
    )
    response = await tenant.patch(f"/v1/contacts/{original['id']}", json={"company": "Globex"})
    assert response.status_code == 200, response.text
    updated = response.json()
    assert set(updated) == CONTACT_KEYS
    assert updated["company"] == "Globex"
    unchanged = {k: v for k, v in original.items() if k not in ("company", "updatedAt")}
    assert {k: v for k, v in updated.items() if k not in ("company", "updatedAt")} == unchanged
    assert updated["updatedAt"] >= original["updatedAt"]
    assert (await tenant.get(f"/v1/contacts/{original['id']}")).json() == updated

    renamed = (await tenant.patch(f"/v1/contacts/{original['id']}", json={"firstName": "Alicia"})).json()
    assert (renamed["firstName"], renamed["lastName"], renamed["company"]) == ("Alicia", "Martin", "Globex")
    assert renamed["phoneNumbers"] == original["phoneNumbers"]


async def test_patch_email_null_clears_it(tenants) -> None:
    tenant = await tenants.create()
    original = await create(tenant, firstName="A", email="a@example.com", company="Acme")
    response = await tenant.patch(f"/v1/contacts/{original['id']}", json={"email": None})
    assert response.status_code == 200, response.text
    assert (response.json()["email"], response.json()["company"]) == (None, "Acme")
    fetched = (await tenant.get(f"/v1/contacts/{original['id']}")).json()
    assert (fetched["email"], fetched["company"], fetched["firstName"]) == (None, "Acme", "A")
    cleared = (await tenant.patch(f"/v1/contacts/{original['id']}", json={"company": None})).json()
    assert cleared["company"] is None


async def test_patch_phone_numbers_replaces_the_list_and_keeps_ids(tenants) -> None:
    tenant = await tenants.create()
    original = await create(tenant, firstName="A", phoneNumbers=["+33612345678", "+33698765432"])
    first, second = original["phoneNumbers"]
    # The second number stays (in another spelling), the first goes, a new one comes.
    response = await tenant.patch(
        f"/v1/contacts/{original['id']}", json={"phoneNumbers": ["06 98 76 54 32", "+33 6 99 99 99 99"]}
    )
    assert response.status_code == 200, response.text
    numbers = response.json()["phoneNumbers"]
    assert [n["number"] for n in numbers] == ["+33698765432", "+33699999999"]
    assert numbers[0]["id"] == second["id"]
    assert numbers[1]["id"] not in (first["id"], second["id"])
    assert (await tenant.get(f"/v1/contacts/{original['id']}")).json()["phoneNumbers"] == numbers

    # Reordering keeps both ids and the new order.
    reordered = (
        await tenant.patch(f"/v1/contacts/{original['id']}", json={"phoneNumbers": ["+33699999999", "+33698765432"]})
    ).json()["phoneNumbers"]
    assert reordered == [numbers[1], numbers[0]]
    assert (await tenant.get(f"/v1/contacts/{original['id']}")).json()["phoneNumbers"] == reordered

    emptied = (await tenant.patch(f"/v1/contacts/{original['id']}", json={"phoneNumbers": []})).json()
    assert emptied["phoneNumbers"] == []
    assert (await tenant.get(f"/v1/contacts/{original['id']}")).json()["phoneNumbers"] == []


async def test_patch_re_adding_a_number_that_was_the_first(tenants) -> None:
    tenant = await tenants.create()
    original = await create(tenant, phoneNumbers=["+33612345678", "+33698765432", "+33699999999"])
    ids = {n["number"]: n["id"] for n in original["phoneNumbers"]}
    response = await tenant.patch(
        f"/v1/contacts/{original['id']}",
        json={"phoneNumbers": ["+33699999999", "0612345678", "+33 6 12 34 56 78"]},
    )
    assert response.status_code == 200, response.text
    numbers = response.json()["phoneNumbers"]
    assert numbers == [
        {"id": ids["+33699999999"], "number": "+33699999999"},
        {"id": ids["+33612345678"], "number": "+33612345678"},
    ]
    assert (await tenant.get(f"/v1/contacts/{original['id']}")).json()["phoneNumbers"] == numbers


async def test_patch_with_an_invalid_number_changes_nothing(tenants) -> None:
    tenant = await tenants.create()
    original = await create(tenant, firstName="A", phoneNumbers=["+33612345678"])
    response = await tenant.patch(
        f"/v1/contacts/{original['id']}", json={"firstName": "B", "phoneNumbers": ["+33698765432", "abc"]}
    )
    assert_validation_error(response, "phoneNumbers[1]")
    assert (await tenant.get(f"/v1/contacts/{original['id']}")).json() == original


@pytest.mark.parametrize(
    "body",
    [{"nickname": "x"}, {"email": "nope"}, {"phoneNumbers": ["+33612345678"] * 21}, {"firstName": 3}],
    ids=["unknown-field", "bad-email", "21-numbers", "not-a-string"],
)
async def test_bad_patch_bodies_are_400(tenants, body) -> None:
    tenant = await tenants.create()
    original = await create(tenant, firstName="A")
    response = await tenant.patch(f"/v1/contacts/{original['id']}", json=body)
    assert_validation_error(response)
    assert (await tenant.get(f"/v1/contacts/{original['id']}")).json() == original


async def test_patch_cannot_move_a_contact_to_another_workspace(tenants) -> None:
    tenant = await tenants.create(workspaces=2)
    original = await create(tenant, firstName="A", workspaceId=tenant.workspace_ids[0])
    response = await tenant.patch(f"/v1/contacts/{original['id']}", json={"workspaceId": tenant.workspace_ids[1]})
    assert_validation_error(response, "workspaceId")
    assert (await tenant.get(f"/v1/contacts/{original['id']}")).json()["workspaceId"] == tenant.workspace_ids[0]


async def test_unknown_invalid_and_foreign_contacts_are_404(tenants) -> None:
    tenant = await tenants.create(workspaces=2)
    other = await tenants.create()
    [foreign] = await other.contacts(1)
    [hidden] = await tenant.contacts(1, workspace_index=1)
    limited = {"Authorization": f"Bearer {await tenant.key_for([tenant.workspace_ids[0]])}"}
    for contact_id, headers in [
        (str(uuid.uuid4()), {}),
        ("not-a-uuid", {}),
        (foreign, {}),
        (hidden, limited),
    ]:
        for method, kwargs in [("GET", {}), ("PATCH", {"json": {"firstName": "X"}}), ("DELETE", {})]:
            response = await tenant.request(method, f"/v1/contacts/{contact_id}", headers=headers, **kwargs)
            assert response.status_code == 404, (method, contact_id, response.text)
            assert response.json()["error"]["code"] == "NOT_FOUND"
    # Nothing was changed or deleted behind the 404s.
    assert (await other.get(f"/v1/contacts/{foreign}")).json()["firstName"] == "First0"
    assert (await tenant.get(f"/v1/contacts/{hidden}")).json()["firstName"] == "First0"


async def test_delete_then_get_is_404(tenants) -> None:
    tenant = await tenants.create()
    keep, gone = await tenant.contacts(2)
    response = await tenant.delete(f"/v1/contacts/{gone}")
    assert response.status_code == 204
    assert response.content == b""
    assert (await tenant.get(f"/v1/contacts/{gone}")).status_code == 404
    assert (await tenant.delete(f"/v1/contacts/{gone}")).status_code == 404
    body = (await tenant.get("/v1/contacts")).json()
    assert (body["total"], [c["id"] for c in body["data"]]) == (1, [keep])


async def test_delete_withdraws_the_contact_from_its_sequences(tenants) -> None:
    tenant = await tenants.create()
    contacts = await tenant.contacts(3)
    first = await tenant.sequence(contact_ids=contacts)
    second = await tenant.sequence(contact_ids=contacts[:2])
    assert (await tenant.get(f"/v1/sequences/{first}")).json()["contactCount"] == 3
    assert (await tenant.delete(f"/v1/contacts/{contacts[0]}")).status_code == 204
    for sequence_id, remaining in [(first, contacts[1:]), (second, contacts[1:2])]:
        sequence = (await tenant.get(f"/v1/sequences/{sequence_id}")).json()
        assert sequence["contactCount"] == len(remaining)
        listed = (await tenant.get(f"/v1/sequences/{sequence_id}/contacts")).json()
        assert listed["total"] == len(remaining)
        assert sorted(i["contact"]["id"] for i in listed["data"]) == sorted(remaining)


async def test_deleted_contact_frees_its_rep_for_round_robin(tenants) -> None:
    tenant = await tenants.create(members=2)
    contacts = await tenant.contacts(3)
    sequence_id = await tenant.sequence(assignees=[0, 1], contact_ids=contacts[:2])
    listed = (await tenant.get(f"/v1/sequences/{sequence_id}/contacts")).json()["data"]
    of_rep0 = next(i["contact"]["id"] for i in listed if i["assignedToWorkspaceMembershipId"] == tenant.wm(0))
    assert (await tenant.delete(f"/v1/contacts/{of_rep0}")).status_code == 204
    added = await tenant.post(f"/v1/sequences/{sequence_id}/contacts", json={"contacts": [{"contactId": contacts[2]}]})
    assert added.json() == {"added": 1}
    listed = (await tenant.get(f"/v1/sequences/{sequence_id}/contacts")).json()["data"]
    new = next(i for i in listed if i["contact"]["id"] == contacts[2])
    assert new["assignedToWorkspaceMembershipId"] == tenant.wm(0)
    assert (await tenant.get(f"/v1/sequences/{sequence_id}")).json()["contactCount"] == 2


async def test_unauthenticated_requests_are_401(tenants) -> None:
    tenant = await tenants.create()
    for headers in ({}, {"Authorization": "Bearer sk_live_" + "x" * 40}, {"Authorization": "Basic abc"}):
        response = await tenant.client.get("/v1/contacts", headers=headers)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "UNAUTHORIZED"


async def test_deleting_a_contact_costs_the_same_whatever_its_sequences(tenants, database) -> None:
    tenant = await tenants.create()
    in_one, busy = await tenant.contacts(2)
    await tenant.sequence(contact_ids=[in_one])
    sequences = [await tenant.sequence(contact_ids=[busy]) for _ in range(5)]

    async def statements(contact_id: str) -> int:
        with count_statements(database.engine) as counter:
            assert (await tenant.delete(f"/v1/contacts/{contact_id}")).status_code == 204
        return counter.count

    assert await statements(busy) == await statements(in_one)
    for sequence_id in sequences:
        assert (await tenant.get(f"/v1/sequences/{sequence_id}")).json()["contactCount"] == 0
