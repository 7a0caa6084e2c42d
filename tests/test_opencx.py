"""POST /opencx/sequences/{sequence_id}/contacts (OpenCX's addContactsToSequence) and its runs."""

import asyncio
import json
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from sqlalchemy import func, select

from relance.api.app import create_app
from relance.db.models import ContinuousRun
from tests.conftest import make_settings
from tests.factory import ADMIN, Tenant, TenantFactory

OUTCOMES = (
    "added",
    "resurrected",
    "created_and_added",
    "already_in_sequence",
    "filtered",
    "not_found",
    "invalid",
    "duplicate",
)
RATE_HEADERS = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset")
PHRASES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    413: "Payload Too Large",
    429: "Too Many Requests",
}
NIL_UUID = "00000000-0000-0000-0000-000000000000"
MAX_UUID = "ffffffff-ffff-ffff-ffff-ffffffffffff"
MIB = 1024 * 1024


# --- helpers ----------------------------------------------------------------------------


async def continuous(
    tenant: Tenant, *, filter: dict | None = None, assignees: list[int] | None = None, workspace_index: int = 0
) -> str:
    """A continuous sequence, with a filter when given."""
    assignees = [0, 1, 2] if assignees is None else assignees
    body: dict = {
        "name": "Continuous",
        "creatorId": tenant.om(0),
        "assignedToIds": [tenant.om(i) for i in assignees],
        "workspaceId": tenant.workspace_ids[workspace_index],
        "isContinuous": True,
    }
    if filter is not None:
        body["filter"] = filter
    response = await tenant.post("/v1/sequences", json=body)
    assert response.status_code == 201, response.text
    assert response.json()["isContinuous"] is True
    return response.json()["id"]


async def push(tenant: Tenant, sequence_id: str, items: list, headers: dict | None = None) -> httpx.Response:
    return await tenant.post(
        f"/opencx/sequences/{sequence_id}/contacts", json={"contacts": items}, headers=headers or {}
    )


async def run_of(tenant: Tenant, sequence_id: str, items: list, headers: dict | None = None) -> dict:
    """Push the items, check the answer is exactly a v4 run id, and read the run back."""
    response = await push(tenant, sequence_id, items, headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"run_id"}, body
    run_id = body["run_id"]
    assert str(uuid.UUID(run_id, version=4)) == run_id
    got = await tenant.get(f"/opencx/runs/{run_id}", headers=headers or {})
    assert got.status_code == 200, got.text
    run = got.json()
    assert set(run) == {"run_id", "sequence_id", "created_at", "counts", "items"}, run
    assert (run["run_id"], run["sequence_id"]) == (run_id, sequence_id)
    assert len(run["items"]) == len(items)
    for sent, item in zip(items, run["items"], strict=True):
        assert set(item) == {"input", "outcome", "contact_id"}, item
        assert item["input"] == sent
    # Every outcome is counted, zeros included, and the counts agree with the items.
    assert set(run["counts"]) == set(OUTCOMES), run["counts"]
    assert run["counts"] == {o: sum(1 for i in run["items"] if i["outcome"] == o) for o in OUTCOMES}
    return run


def outcomes(run: dict) -> list[str]:
    return [item["outcome"] for item in run["items"]]


def contact_ids(run: dict) -> list[str | None]:
    return [item["contact_id"] for item in run["items"]]


def counts(**nonzero: int) -> dict[str, int]:
    return {o: nonzero.get(o, 0) for o in OUTCOMES}


async def new_contact(tenant: Tenant, **body: object) -> dict:
    response = await tenant.post("/v1/contacts", json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def contact(tenant: Tenant, contact_id: str) -> dict:
    response = await tenant.get(f"/v1/contacts/{contact_id}")
    assert response.status_code == 200, response.text
    return response.json()


async def all_contacts(tenant: Tenant, headers: dict | None = None) -> dict[str, dict]:
    """Every contact the key sees, by id."""
    result: dict[str, dict] = {}
    page = 1
    while True:
        response = await tenant.get(f"/v1/contacts?limit=100&page={page}", headers=headers or {})
        assert response.status_code == 200, response.text
        body = response.json()
        result.update({c["id"]: c for c in body["data"]})
        if page >= body["totalPages"]:
            return result
        page += 1


async def active(tenant: Tenant, sequence_id: str) -> dict[str, str]:
    """contact id -> assignee workspace membership id, for every active contact."""
    result: dict[str, str] = {}
    page = 1
    while True:
        response = await tenant.get(f"/v1/sequences/{sequence_id}/contacts?limit=100&page={page}")
        assert response.status_code == 200, response.text
        body = response.json()
        result.update({i["contact"]["id"]: i["assignedToWorkspaceMembershipId"] for i in body["data"]})
        if page >= body["totalPages"]:
            return result
        page += 1


async def v1_add(tenant: Tenant, sequence_id: str, items: list[dict]) -> int:
    response = await tenant.post(f"/v1/sequences/{sequence_id}/contacts", json={"contacts": items})
    assert response.status_code == 201, response.text
    return response.json()["added"]


async def runs_in(database, workspace_id: str) -> int:  # noqa: ANN001
    async with database.unscoped_session(write=False) as session:
        return await session.scalar(
            select(func.count()).select_from(ContinuousRun).where(ContinuousRun.workspace_id == uuid.UUID(workspace_id))
        )


def assert_error_dto(response: httpx.Response, status: int) -> str:
    """OpenCX's ErrorDto, never /v1's {"error": {...}} nor FastAPI's 422 {"detail": ...}."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"statusCode", "message", "error"}, body
    assert body["statusCode"] == status
    assert body["error"] == PHRASES[status], body
    assert isinstance(body["message"], str) and body["message"].strip()
    return body["message"]


def phone_numbers(contact_body: dict) -> list[str]:
    return [n["number"] for n in contact_body["phoneNumbers"]]


# --- matching and creating --------------------------------------------------------------


async def test_id_email_and_phone_match_existing_contacts_without_changing_them(tenants) -> None:
    tenant = await tenants.create()
    sequence_id = await continuous(tenant)
    alice = await new_contact(tenant, firstName="Alice", email="alice@example.com", phoneNumbers=["0611111111"])
    bob = await new_contact(tenant, firstName="Bob", email="Bob@Example.com")
    carol = await new_contact(tenant, firstName="Carol", phoneNumbers=["+33 6 22 33 44 55"])
    before = await all_contacts(tenant)
    run = await run_of(
        tenant,
        sequence_id,
        [{"id": alice["id"]}, {"email": "BOB@example.COM"}, {"phone_number": "06 22 33 44 55"}],
    )
    assert outcomes(run) == ["added", "added", "added"]
    assert contact_ids(run) == [alice["id"], bob["id"], carol["id"]]
    assert run["counts"] == counts(added=3)
    assert set(await active(tenant, sequence_id)) == {alice["id"], bob["id"], carol["id"]}
    # Nothing created, nothing changed.
    assert await all_contacts(tenant) == before


async def test_email_and_phone_create_contacts_when_none_matches(tenants) -> None:
    tenant = await tenants.create()
    sequence_id = await continuous(tenant)
    existing = await new_contact(tenant, email="someone@example.com", phoneNumbers=["0611111111"])
    run = await run_of(
        tenant, sequence_id, [{"email": "New.Person@Example.com"}, {"phone_number": "+33 6 98 76 54 32"}]
    )
    assert outcomes(run) == ["created_and_added", "created_and_added"]
    by_email, by_phone = contact_ids(run)
    assert by_email and by_phone and len({by_email, by_phone, existing["id"]}) == 3
    first = await contact(tenant, by_email)
    assert (first["email"], first["firstName"], first["lastName"], first["phoneNumbers"]) == (
        "New.Person@Example.com",
        "",
        "",
        [],
    )
    assert first["workspaceId"] == tenant.workspace_id
    second = await contact(tenant, by_phone)
    assert (second["email"], second["firstName"], second["lastName"]) == (None, "", "")
    assert phone_numbers(second) == ["+33698765432"]
    everyone = await all_contacts(tenant)
    assert set(everyone) == {existing["id"], by_email, by_phone}
    assert set(await active(tenant, sequence_id)) == {by_email, by_phone}
    # A second request matches what the first one created.
    again = await run_of(tenant, sequence_id, [{"email": "new.person@example.com"}, {"phone_number": "0698765432"}])
    assert outcomes(again) == ["already_in_sequence", "already_in_sequence"]
    assert contact_ids(again) == [by_email, by_phone]
    assert len(await all_contacts(tenant)) == 3


async def test_email_matching_ignores_case(tenants) -> None:
    tenant = await tenants.create()
    sequence_id = await continuous(tenant)
    mixed = await new_contact(tenant, email="Mixed.Case@Example.COM")
    run = await run_of(
        tenant,
        sequence_id,
        [{"email": "mixed.case@example.com"}, {"email": "Fresh@Example.com"}, {"email": "fresh@EXAMPLE.COM"}],
    )
    assert outcomes(run) == ["added", "created_and_added", "duplicate"]
    assert contact_ids(run)[0] == mixed["id"]
    assert contact_ids(run)[1] == contact_ids(run)[2] != mixed["id"]
    everyone = await all_contacts(tenant)
    assert sorted(c["email"] for c in everyone.values()) == ["Fresh@Example.com", "Mixed.Case@Example.COM"]


SPELLINGS = ["06 12 34 56 78", "+33 6 12 34 56 78", "0033612345678", "+33612345678"]


async def test_phone_spellings_resolve_to_one_existing_contact(tenants) -> None:
    tenant = await tenants.create()
    sequence_id = await continuous(tenant)
    holder = await new_contact(tenant, firstName="Holder", phoneNumbers=["06.12.34.56.78"])
    run = await run_of(tenant, sequence_id, [{"phone_number": s} for s in SPELLINGS])
    assert outcomes(run) == ["added", "duplicate", "duplicate", "duplicate"]
    assert contact_ids(run) == [holder["id"]] * 4
    assert set(await all_contacts(tenant)) == {holder["id"]}


async def test_phone_spellings_create_one_contact(tenants) -> None:
    tenant = await tenants.create()
    sequence_id = await continuous(tenant)
    run = await run_of(tenant, sequence_id, [{"phone_number": s} for s in SPELLINGS])
    assert outcomes(run) == ["created_and_added", "duplicate", "duplicate", "duplicate"]
    created = contact_ids(run)[0]
    assert created is not None and contact_ids(run) == [created] * 4
    everyone = await all_contacts(tenant)
    assert set(everyone) == {created}
    assert phone_numbers(everyone[created]) == ["+33612345678"]
    for spelling in SPELLINGS:
        again = await run_of(tenant, sequence_id, [{"phone_number": spelling}])
        assert (outcomes(again), contact_ids(again)) == (["already_in_sequence"], [created])


async def test_the_oldest_contact_is_matched_by_email_and_by_number(tenants) -> None:
    tenant = await tenants.create()
    sequence_id = await continuous(tenant)
    shared = {"email": "shared@example.com", "phoneNumbers": ["0644444444"]}
    oldest = await new_contact(tenant, firstName="Oldest", **shared)
    # Newer contacts with the same email and number whose ids sort before the oldest's, so
    # that neither "newest first" nor "smallest id first" can pass for "oldest first".
    newer: list[dict] = []
    while len(newer) < 2:
        await asyncio.sleep(0.005)
        candidate = await new_contact(tenant, firstName="Newer", email="SHARED@example.com", phoneNumbers=["+33644444444"])
        if candidate["id"] < oldest["id"]:
            newer.append(candidate)
        else:
            assert (await tenant.delete(f"/v1/contacts/{candidate['id']}")).status_code == 204
    assert all(c["createdAt"] > oldest["createdAt"] for c in newer)
    run = await run_of(tenant, sequence_id, [{"email": "Shared@Example.com"}, {"phone_number": "06 44 44 44 44"}])
    assert outcomes(run) == ["added", "duplicate"]
    assert contact_ids(run) == [oldest["id"], oldest["id"]]
    # The same by number alone, in another sequence.
    other = await continuous(tenant)
    run = await run_of(tenant, other, [{"phone_number": "+33 6 44 44 44 44"}])
    assert (outcomes(run), contact_ids(run)) == (["added"], [oldest["id"]])
    assert set(await active(tenant, other)) == {oldest["id"]}


async def test_nil_max_and_upper_case_uuids_are_ids(tenants) -> None:
    tenant = await tenants.create()
    sequence_id = await continuous(tenant)
    known = await new_contact(tenant, email="known@example.com")
    run = await run_of(
        tenant,
        sequence_id,
        [{"id": NIL_UUID}, {"id": MAX_UUID}, {"id": known["id"].upper()}, {"id": str(uuid.uuid4())}],
    )
    assert outcomes(run) == ["not_found", "not_found", "added", "not_found"]
    assert contact_ids(run) == [None, None, known["id"], None]
    assert set(await all_contacts(tenant)) == {known["id"]}


async def test_an_invalid_number_alone_is_invalid_and_creates_nothing(tenants) -> None:
    tenant = await tenants.create()
    sequence_id = await continuous(tenant)
    items = [{"phone_number": "123"}, {"phone_number": "not a number"}, {"phone_number": ""}, {"phone_number": "+33 6 12"}]
    run = await run_of(tenant, sequence_id, items)
    assert outcomes(run) == ["invalid"] * 4
    assert contact_ids(run) == [None] * 4
    assert run["counts"] == counts(invalid=4)
    assert await all_contacts(tenant) == {}
    assert await active(tenant, sequence_id) == {}


# --- several keys in one item ---------------------------------------------------------------


async def test_items_with_several_keys(tenants) -> None:
    tenant = await tenants.create()
    sequence_id = await continuous(tenant)
    a = await new_contact(tenant, email="a@example.com")
    b = await new_contact(tenant, email="b@example.com")
    c = await new_contact(tenant, phoneNumbers=["0633333333"])
    d = await new_contact(tenant, email="d@example.com")
    e = await new_contact(tenant, email="e@example.com")
    f = await new_contact(tenant, phoneNumbers=["0655555555"])
    unknown = str(uuid.uuid4())
    items = [
        {"id": a["id"], "email": "b@example.com", "phone_number": "0633333333"},  # id alone is used
        {"id": unknown, "email": "valid@example.com"},  # not_found beats a valid email
        {"email": "bad", "phone_number": "+33 6 33 33 33 33"},  # malformed email ignored
        {"id": "nope", "email": "D@example.com"},  # malformed id ignored
        {"id": 5, "email": "both@example.com", "phone_number": "0666666666"},  # created with both
        {"email": "nonumber@example.com", "phone_number": "123"},  # invalid number ignored
        {"email": "e@example.com", "phone_number": "0677777777"},  # email first; E not changed
        {"email": "nobody@example.com", "phone_number": "06 55 55 55 55"},  # then the number: F
    ]
    run = await run_of(tenant, sequence_id, items)
    ids = contact_ids(run)
    assert outcomes(run) == [
        "added",
        "not_found",
        "added",
        "added",
        "created_and_added",
        "created_and_added",
        "added",
        "added",
    ]
    assert [ids[i] for i in (0, 1, 2, 3, 6, 7)] == [a["id"], None, c["id"], d["id"], e["id"], f["id"]]
    everyone = await all_contacts(tenant)
    both, no_number = everyone[ids[4]], everyone[ids[5]]
    assert (both["email"], phone_numbers(both)) == ("both@example.com", ["+33666666666"])
    assert (no_number["email"], phone_numbers(no_number)) == ("nonumber@example.com", [])
    # Only those two were created; matched contacts kept their email and numbers.
    assert set(everyone) == {a["id"], b["id"], c["id"], d["id"], e["id"], f["id"], ids[4], ids[5]}
    assert (everyone[e["id"]]["email"], phone_numbers(everyone[e["id"]])) == ("e@example.com", [])
    assert (everyone[f["id"]]["email"], phone_numbers(everyone[f["id"]])) == (None, ["+33655555555"])
    assert set(await active(tenant, sequence_id)) == {a["id"], c["id"], d["id"], e["id"], f["id"], ids[4], ids[5]}


async def test_a_later_item_finds_a_contact_created_by_an_earlier_one(tenants) -> None:
    tenant = await tenants.create()
    sequence_id = await continuous(tenant)
    run = await run_of(
        tenant,
        sequence_id,
        [
            {"email": "pair@example.com", "phone_number": "0688888888"},
            {"phone_number": "+33 6 88 88 88 88"},
            {"email": "PAIR@example.com"},
            {"email": "other@example.com", "phone_number": "0688888888"},
        ],
    )
    assert outcomes(run) == ["created_and_added", "duplicate", "duplicate", "duplicate"]
    assert len(set(contact_ids(run))) == 1
    assert len(await all_contacts(tenant)) == 1


# --- every outcome, the order of checks --------------------------------------------------------


async def test_every_outcome_in_one_run_with_its_counts(tenants) -> None:
    tenant = await tenants.create()
    sequence_id = await continuous(tenant, filter={"field": "company", "op": "neq", "value": "blocked"})
    fresh = await new_contact(tenant, email="fresh@example.com", company="Acme")
    enrolled = await new_contact(tenant, email="enrolled@example.com", company="Acme")
    removed = await new_contact(tenant, email="removed@example.com", phoneNumbers=["0699999999"])
    blocked = await new_contact(tenant, email="blocked@example.com", company="Blocked")
    assert await v1_add(tenant, sequence_id, [{"contactId": enrolled["id"]}, {"contactId": removed["id"]}]) == 2
    withdrawn = await tenant.delete(f"/v1/sequences/{sequence_id}/contacts", json={"contactIds": [removed["id"]]})
    assert withdrawn.json() == {"removed": 1}
    items = [
        {"id": fresh["id"], "note": "extra keys are kept"},
        {"email": "enrolled@example.com"},
        {"phone_number": "06 99 99 99 99"},
        {"email": "Blocked@Example.com"},
        {"email": "brand.new@example.com", "source": {"campaign": 7}},
        {"id": str(uuid.uuid4())},
        {"phone_number": "42"},
        {"email": "FRESH@example.com"},
    ]
    run = await run_of(tenant, sequence_id, items)
    assert outcomes(run) == [
        "added",
        "already_in_sequence",
        "resurrected",
        "filtered",
        "created_and_added",
        "not_found",
        "invalid",
        "duplicate",
    ]
    assert run["counts"] == {o: 1 for o in OUTCOMES}
    ids = contact_ids(run)
    assert ids[:4] == [fresh["id"], enrolled["id"], removed["id"], blocked["id"]]
    assert ids[4] not in (None, fresh["id"], enrolled["id"], removed["id"], blocked["id"])
    assert ids[5:] == [None, None, fresh["id"]]
    assert set(await active(tenant, sequence_id)) == {fresh["id"], enrolled["id"], removed["id"], ids[4]}
    assert (await tenant.get(f"/v1/sequences/{sequence_id}")).json()["contactCount"] == 4
    assert run["created_at"].endswith("Z")
    # The run reads the same later.
    again = (await tenant.get(f"/opencx/runs/{run['run_id']}")).json()
    assert again == run


async def test_a_duplicate_of_a_filtered_contact_is_duplicate(tenants) -> None:
    tenant = await tenants.create()
    sequence_id = await continuous(tenant, filter={"field": "company", "op": "eq", "value": "Acme"})
    other = await new_contact(tenant, email="other@example.com", company="Other", phoneNumbers=["0611223344"])
    run = await run_of(
        tenant,
        sequence_id,
        [{"id": other["id"]}, {"email": "other@example.com"}, {"phone_number": "0611223344"}, {"email": "new@example.com"}, {"email": "NEW@example.com"}],
    )
    assert outcomes(run) == ["filtered", "duplicate", "duplicate", "filtered", "duplicate"]
    assert contact_ids(run)[:3] == [other["id"]] * 3
    assert contact_ids(run)[3] == contact_ids(run)[4] is not None
    assert await active(tenant, sequence_id) == {}


async def test_a_filtered_created_contact_stays_created_but_is_not_enrolled(tenants) -> None:
    tenant = await tenants.create()
    sequence_id = await continuous(tenant, filter={"field": "company", "op": "exists", "value": True})
    run = await run_of(tenant, sequence_id, [{"email": "nocompany@example.com"}, {"phone_number": "0612121212"}])
    assert outcomes(run) == ["filtered", "filtered"]
    created = contact_ids(run)
    assert None not in created
    everyone = await all_contacts(tenant)
    assert set(everyone) == set(created)
    assert everyone[created[0]]["email"] == "nocompany@example.com"
    assert phone_numbers(everyone[created[1]]) == ["+33612121212"]
    assert await active(tenant, sequence_id) == {}
    assert (await tenant.get(f"/v1/sequences/{sequence_id}")).json()["contactCount"] == 0
    # Once the filter is cleared the same items match those contacts and add them.
    cleared = await tenant.patch(f"/v1/sequences/{sequence_id}", json={"filter": None})
    assert cleared.status_code == 200
    again = await run_of(tenant, sequence_id, [{"email": "nocompany@example.com"}, {"phone_number": "0612121212"}])
    assert (outcomes(again), contact_ids(again)) == (["added", "added"], created)


async def test_the_filter_comes_before_enrolment_and_never_resurrects(tenants) -> None:
    tenant = await tenants.create()
    sequence_id = await continuous(tenant, filter={"field": "company", "op": "eq", "value": "Acme"})
    outsider = await new_contact(tenant, email="outsider@example.com", company="Other")
    gone = await new_contact(tenant, email="gone@example.com", company="Other")
    member = await new_contact(tenant, email="member@example.com", company="ACME")
    # /v1 ignores the filter.
    assert await v1_add(tenant, sequence_id, [{"contactId": c["id"]} for c in (outsider, gone, member)]) == 3
    await tenant.delete(f"/v1/sequences/{sequence_id}/contacts", json={"contactIds": [gone["id"]]})
    run = await run_of(
        tenant,
        sequence_id,
        [{"id": outsider["id"]}, {"id": gone["id"]}, {"id": member["id"]}, {"email": "member@example.com"}],
    )
    assert outcomes(run) == ["filtered", "filtered", "already_in_sequence", "duplicate"]
    assert set(await active(tenant, sequence_id)) == {outsider["id"], member["id"]}


async def test_not_found_and_invalid_items_do_not_count_as_resolved(tenants) -> None:
    tenant = await tenants.create()
    sequence_id = await continuous(tenant)
    unknown = str(uuid.uuid4())
    run = await run_of(
        tenant,
        sequence_id,
        [{"id": unknown}, {"id": unknown}, {"phone_number": "1"}, {"phone_number": "1"}, {"id": unknown, "email": "x@example.com"}],
    )
    assert outcomes(run) == ["not_found", "not_found", "invalid", "invalid", "not_found"]
    assert run["counts"] == counts(not_found=3, invalid=2)
    assert await all_contacts(tenant) == {}


async def test_filter_on_phone_country_sees_every_number_of_matched_and_created_contacts(tenants) -> None:
    tenant = await tenants.create()
    sequence_id = await continuous(tenant, filter={"field": "phoneCountry", "op": "in", "value": ["fr"]})
    french = await new_contact(tenant, email="fr@example.com", phoneNumbers=["0611111111"])
    american = await new_contact(tenant, email="us@example.com", phoneNumbers=["+1 650-253-0000"])
    both = await new_contact(tenant, email="both@example.com", phoneNumbers=["+1 650-253-0001", "0622222222"])
    none = await new_contact(tenant, email="none@example.com")
    run = await run_of(
        tenant,
        sequence_id,
        [
            {"email": "fr@example.com"},
            {"email": "us@example.com"},
            {"email": "both@example.com"},
            {"email": "none@example.com"},
            {"phone_number": "+32 470 12 34 56"},
            {"phone_number": "06 33 44 55 66"},
            {"email": "created@example.com"},
        ],
    )
    assert outcomes(run) == ["added", "filtered", "added", "filtered", "filtered", "created_and_added", "filtered"]
    ids = contact_ids(run)
    assert ids[:4] == [french["id"], american["id"], both["id"], none["id"]]
    assert set(await active(tenant, sequence_id)) == {french["id"], both["id"], ids[5]}
    # neq: only contacts with no French number at all.
    neq = await continuous(tenant, filter={"field": "phoneCountry", "op": "neq", "value": "FR"})
    run = await run_of(tenant, neq, [{"id": c["id"]} for c in (french, american, both, none)])
    assert outcomes(run) == ["filtered", "added", "filtered", "added"]


async def test_filter_on_names_and_company_of_matched_and_created_contacts(tenants) -> None:
    tenant = await tenants.create()
    flt = {
        "any": [
            {"all": [{"field": "firstName", "op": "startsWith", "value": "AL"}, {"field": "company", "op": "contains", "value": "acme"}]},
            {"field": "email", "op": "endsWith", "value": "@VIP.com"},
        ]
    }
    sequence_id = await continuous(tenant, filter=flt)
    alice = await new_contact(tenant, firstName="Alice", company="The ACME co", email="alice@example.com")
    alan = await new_contact(tenant, firstName="Alan", company="Globex", email="alan@example.com")
    vip = await new_contact(tenant, firstName="Zed", email="zed@vip.com")
    run = await run_of(
        tenant,
        sequence_id,
        [{"id": alice["id"]}, {"id": alan["id"]}, {"id": vip["id"]}, {"email": "new@Vip.com"}, {"email": "new@other.com"}],
    )
    assert outcomes(run) == ["added", "filtered", "added", "created_and_added", "filtered"]


async def test_round_robin_least_loaded_first_and_resurrection_keeps_the_assignee(tenants) -> None:
    tenant = await tenants.create()
    sequence_id = await continuous(tenant)
    preloaded = [await new_contact(tenant, email=f"pre{i}@example.com") for i in range(3)]
    await v1_add(
        tenant,
        sequence_id,
        [{"contactId": c["id"], "assignedToWorkspaceMembershipId": tenant.wm(0)} for c in preloaded[:2]]
        + [{"contactId": preloaded[2]["id"], "assignedToWorkspaceMembershipId": tenant.wm(2)}],
    )
    await tenant.delete(f"/v1/sequences/{sequence_id}/contacts", json={"contactIds": [preloaded[2]["id"]]})
    # Loads now: rep0 2, rep1 0, rep2 0. The resurrected row goes back to rep2 first.
    run = await run_of(
        tenant,
        sequence_id,
        [{"id": preloaded[2]["id"]}] + [{"email": f"rr{i}@example.com"} for i in range(5)],
    )
    assert outcomes(run) == ["resurrected"] + ["created_and_added"] * 5
    assigned = await active(tenant, sequence_id)
    assert assigned[preloaded[2]["id"]] == tenant.wm(2)
    # Loads rep0 2, rep1 0, rep2 1 -> rep1 (1), rep1 (2, tie with rep2 goes by list order),
    # rep2 (2), rep0 (3, all tied), rep1 (3).
    new = contact_ids(run)[1:]
    assert [assigned[c] for c in new] == [tenant.wm(1), tenant.wm(1), tenant.wm(2), tenant.wm(0), tenant.wm(1)]
    assert Counter(assigned.values()) == {tenant.wm(0): 3, tenant.wm(1): 3, tenant.wm(2): 2}


# --- continuity, scope, foreign contacts ------------------------------------------------------


async def test_a_sequence_that_is_not_continuous_is_400_and_nothing_is_written(tenants, database) -> None:
    tenant = await tenants.create()
    sequence_id = await tenant.sequence()
    existing = await new_contact(tenant, email="existing@example.com")
    items = [{"email": "new@example.com"}, {"phone_number": "0612345678"}, {"id": existing["id"]}]
    response = await push(tenant, sequence_id, items)
    assert_error_dto(response, 400)
    assert set(await all_contacts(tenant)) == {existing["id"]}
    assert await active(tenant, sequence_id) == {}
    assert await runs_in(database, tenant.workspace_id) == 0
    # Made continuous, the same request goes through; made not continuous again, it stops.
    assert (await tenant.patch(f"/v1/sequences/{sequence_id}", json={"isContinuous": True})).status_code == 200
    run = await run_of(tenant, sequence_id, items)
    assert outcomes(run) == ["created_and_added", "created_and_added", "added"]
    assert await runs_in(database, tenant.workspace_id) == 1
    assert (await tenant.patch(f"/v1/sequences/{sequence_id}", json={"isContinuous": False})).status_code == 200
    refused = await push(tenant, sequence_id, [{"email": "later@example.com"}])
    assert_error_dto(refused, 400)
    assert len(await all_contacts(tenant)) == 3
    assert await runs_in(database, tenant.workspace_id) == 1


async def test_contacts_of_another_workspace_or_organization_are_not_found_and_never_created_there(tenants) -> None:
    tenant = await tenants.create(workspaces=2)
    other = await tenants.create()
    sequence_id = await continuous(tenant)
    elsewhere = await new_contact(tenant, email="elsewhere@example.com", phoneNumbers=["0611111111"], workspaceId=tenant.workspace_ids[1])
    foreign = await new_contact(other, email="foreign@example.com", phoneNumbers=["0622222222"])
    run = await run_of(
        tenant,
        sequence_id,
        [
            {"id": elsewhere["id"]},
            {"id": foreign["id"]},
            {"email": "elsewhere@example.com"},
            {"phone_number": "0622222222"},
        ],
    )
    assert outcomes(run) == ["not_found", "not_found", "created_and_added", "created_and_added"]
    ids = contact_ids(run)
    assert ids[:2] == [None, None]
    assert ids[2] not in (elsewhere["id"], foreign["id"]) and ids[3] not in (elsewhere["id"], foreign["id"])
    everyone = await all_contacts(tenant)
    # New contacts were created in the sequence's workspace only.
    assert {everyone[i]["workspaceId"] for i in ids[2:]} == {tenant.workspace_id}
    in_second = [c for c in everyone.values() if c["workspaceId"] == tenant.workspace_ids[1]]
    assert [c["id"] for c in in_second] == [elsewhere["id"]]
    assert await all_contacts(other) == {foreign["id"]: foreign}
    assert set(await active(tenant, sequence_id)) == set(ids[2:])


async def test_foreign_unknown_deleted_and_out_of_scope_sequences_are_404(tenants, database) -> None:
    tenant = await tenants.create(workspaces=2)
    other = await tenants.create()
    foreign = await continuous(other)
    hidden = await continuous(tenant, workspace_index=1)
    deleted = await continuous(tenant)
    assert (await tenant.delete(f"/v1/sequences/{deleted}")).status_code == 204
    limited = {"Authorization": f"Bearer {await tenant.key_for([tenant.workspace_ids[0]])}"}
    for sequence_id, headers in [
        (foreign, {}),
        (str(uuid.uuid4()), {}),
        ("not-a-uuid", {}),
        (NIL_UUID, {}),
        (deleted, {}),
        (hidden, limited),
    ]:
        response = await push(tenant, sequence_id, [{"email": "someone@example.com"}], headers)
        assert_error_dto(response, 404)
    assert await all_contacts(tenant) == {}
    assert await all_contacts(other) == {}
    assert await runs_in(database, tenant.workspace_ids[1]) == 0
    assert await runs_in(database, other.workspace_id) == 0
    # The limited key reaches its own workspace.
    mine = await continuous(tenant)
    run = await run_of(tenant, mine, [{"email": "someone@example.com"}], limited)
    assert outcomes(run) == ["created_and_added"]


async def test_runs_are_scoped_like_sequences(tenants) -> None:
    tenant = await tenants.create(workspaces=2)
    other = await tenants.create()
    hidden = await continuous(tenant, workspace_index=1)
    run = await run_of(tenant, hidden, [{"email": "a@example.com"}])
    limited = {"Authorization": f"Bearer {await tenant.key_for([tenant.workspace_ids[0]])}"}
    for run_id, caller, headers in [
        (run["run_id"], other, {}),
        (run["run_id"], tenant, limited),
        (str(uuid.uuid4()), tenant, {}),
        ("not-a-uuid", tenant, {}),
    ]:
        assert_error_dto(await caller.get(f"/opencx/runs/{run_id}", headers=headers), 404)
    assert (await tenant.get(f"/opencx/runs/{run['run_id']}")).json() == run


# --- bounds ----------------------------------------------------------------------------------


async def test_a_thousand_items_are_accepted_and_a_thousand_and_one_refused(tenants, database) -> None:
    tenant = await tenants.create()
    sequence_id = await continuous(tenant)
    too_many = [{"email": f"c{i}@example.com"} for i in range(1001)]
    assert_error_dto(await push(tenant, sequence_id, too_many), 400)
    assert await all_contacts(tenant) == {}
    assert await runs_in(database, tenant.workspace_id) == 0
    run = await run_of(tenant, sequence_id, too_many[:1000])
    assert run["counts"] == counts(created_and_added=1000)
    assert len(set(contact_ids(run))) == 1000
    sequence = (await tenant.get(f"/v1/sequences/{sequence_id}")).json()
    assert sequence["contactCount"] == 1000
    assert (await tenant.get("/v1/contacts?limit=1")).json()["total"] == 1000


@pytest.mark.parametrize(
    "item",
    [{"email": "bad"}, {"id": "nope"}, {}, "string", {"id": 5}, {"phone_number": 5}, None, 7, [], {"email": None}, {"name": "x"}],
    ids=["bad-email", "bad-id", "empty", "string", "number-id", "number-phone", "null", "number", "list", "null-email", "no-key"],
)
async def test_an_item_of_no_known_shape_makes_the_request_400_and_writes_nothing(tenants, item) -> None:
    tenant = await tenants.create()
    sequence_id = await continuous(tenant)
    existing = await new_contact(tenant, email="existing@example.com")
    response = await push(tenant, sequence_id, [{"email": "valid@example.com"}, {"id": existing["id"]}, item])
    message = assert_error_dto(response, 400)
    assert "contacts[2]" in message
    assert set(await all_contacts(tenant)) == {existing["id"]}
    assert await active(tenant, sequence_id) == {}


@pytest.mark.parametrize(
    "body",
    [{"contacts": []}, {}, {"contacts": "nope"}, {"contacts": {"email": "a@example.com"}}, [], None],
    ids=["empty", "missing", "string", "object", "list-body", "no-body"],
)
async def test_bad_bodies_are_400_in_error_dto(tenants, body) -> None:
    tenant = await tenants.create()
    sequence_id = await continuous(tenant)
    response = await tenant.post(f"/opencx/sequences/{sequence_id}/contacts", json=body)
    assert_error_dto(response, 400)
    assert await all_contacts(tenant) == {}


async def test_a_body_that_is_not_json_is_400_in_error_dto(tenants) -> None:
    tenant = await tenants.create()
    sequence_id = await continuous(tenant)
    response = await tenant.post(
        f"/opencx/sequences/{sequence_id}/contacts",
        content=b'{"contacts": [',
        headers={"Content-Type": "application/json"},
    )
    assert_error_dto(response, 400)


def padded_body(size: int) -> bytes:
    """A valid request body of exactly ``size`` bytes: items of one contact, each padded
    within the per-item bound (MAX_ITEM_BYTES)."""
    count = -(-size // 3000)
    skeleton = {"contacts": [{"email": "padded@example.com", "pad": ""} for _ in range(count)]}
    needed = size - len(json.dumps(skeleton).encode())
    for index, item in enumerate(skeleton["contacts"]):
        item["pad"] = "x" * (needed // count + (index < needed % count))
    body = json.dumps(skeleton).encode()
    assert len(body) == size
    return body


async def test_a_body_of_one_mib_is_accepted_and_one_byte_more_is_413(tenants, database) -> None:
    tenant = await tenants.create()
    sequence_id = await continuous(tenant)
    path = f"/opencx/sequences/{sequence_id}/contacts"
    json_type = {"Content-Type": "application/json"}
    over = await tenant.post(path, content=padded_body(MIB + 1), headers=json_type)
    assert over.status_code == 413, over.text
    assert set(over.json()) == {"statusCode", "message", "error"}
    assert over.json()["statusCode"] == 413
    assert await all_contacts(tenant) == {}

    async def chunks() -> AsyncIterator[bytes]:
        body = padded_body(2 * MIB)
        for start in range(0, len(body), 64 * 1024):
            yield body[start : start + 64 * 1024]

    streamed = await tenant.post(path, content=chunks(), headers=json_type)
    assert streamed.status_code == 413, streamed.text
    assert set(streamed.json()) == {"statusCode", "message", "error"}
    assert await all_contacts(tenant) == {}
    assert await runs_in(database, tenant.workspace_id) == 0

    exact = await tenant.post(path, content=padded_body(MIB), headers=json_type)
    assert exact.status_code == 200, exact.text
    assert await runs_in(database, tenant.workspace_id) == 1


async def test_413_error_is_payload_too_large(tenants) -> None:
    tenant = await tenants.create()
    sequence_id = await continuous(tenant)
    response = await tenant.post(
        f"/opencx/sequences/{sequence_id}/contacts",
        content=padded_body(MIB + 100),
        headers={"Content-Type": "application/json"},
    )
    assert_error_dto(response, 413)


# --- authentication and errors ------------------------------------------------------------------


async def test_missing_bad_and_revoked_keys_are_401_in_error_dto(tenants) -> None:
    tenant = await tenants.create()
    sequence_id = await continuous(tenant)
    other_key = await tenant.key_for(None)
    path = f"/opencx/sequences/{sequence_id}/contacts"
    body = {"contacts": [{"email": "a@example.com"}]}
    client = tenants.client
    for headers in [{}, {"Authorization": "Bearer sk_live_nope"}, {"Authorization": f"Basic {tenant.key}"}]:
        assert_error_dto(await client.post(path, json=body, headers=headers), 401)
        assert_error_dto(await client.get(f"/opencx/runs/{uuid.uuid4()}", headers=headers), 401)
    revoked = await client.delete(f"/admin/v1/api-keys/{tenant.api_key_id}", headers=ADMIN)
    assert revoked.status_code == 204
    assert_error_dto(await push(tenant, sequence_id, [{"email": "a@example.com"}]), 401)
    # Nothing was written by any of these; the other key of the organization still works.
    still = {"Authorization": f"Bearer {other_key}"}
    assert await all_contacts(tenant, still) == {}
    run = await run_of(tenant, sequence_id, [{"email": "a@example.com"}], still)
    assert outcomes(run) == ["created_and_added"]


@pytest.mark.parametrize(
    ("plan", "status"), [("FREE", "ACTIVE"), ("EXPERT", "INACTIVE")], ids=["free-plan", "inactive-subscription"]
)
async def test_plan_and_subscription_refusals_are_403_in_error_dto(tenants, plan, status) -> None:
    tenant = await tenants.create(plan="EXPERT")
    sequence_id = await continuous(tenant)
    run = await run_of(tenant, sequence_id, [{"email": "a@example.com"}])
    await tenants.admin("PATCH", f"/organizations/{tenant.organization_id}", {"plan": plan, "subscriptionStatus": status})
    assert_error_dto(await push(tenant, sequence_id, [{"email": "b@example.com"}]), 403)
    assert_error_dto(await tenant.get(f"/opencx/runs/{run['run_id']}"), 403)


@asynccontextmanager
async def limited_app(database, **overrides: object) -> AsyncIterator[TenantFactory]:  # noqa: ANN001
    app = create_app(make_settings(database, **overrides), database=database)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://relance.test") as client:
        yield TenantFactory(client)


async def test_rate_limit_headers_and_429_in_error_dto(database) -> None:
    async with limited_app(database, rate_limits='{"EXPERT": 4}') as factory:
        tenant = await factory.create(plan="EXPERT")
        sequence_id = await continuous(tenant)  # 1
        ok = await push(tenant, sequence_id, [{"email": "a@example.com"}])  # 2
        assert ok.status_code == 200, ok.text
        missing = await push(tenant, str(uuid.uuid4()), [{"email": "a@example.com"}])  # 3
        assert_error_dto(missing, 404)
        run = await tenant.get(f"/opencx/runs/{ok.json()['run_id']}")  # 4
        assert run.status_code == 200
        remaining = []
        for response in (ok, missing, run):
            assert all(h in response.headers for h in RATE_HEADERS), dict(response.headers)
            assert response.headers["x-ratelimit-limit"] == "4"
            remaining.append(int(response.headers["x-ratelimit-remaining"]))
        assert remaining == [2, 1, 0]
        refused = await push(tenant, sequence_id, [{"email": "b@example.com"}])
        assert_error_dto(refused, 429)
        assert refused.headers["x-ratelimit-remaining"] == "0"
        assert refused.headers.get("retry-after", "").isdigit()
    # Refused: b@example.com was not created.
    async with limited_app(database) as factory:
        fresh = Tenant(factory.client, tenant.organization_id, tenant.key, tenant.workspace_ids, tenant.members, tenant.api_key_id)
        emails = {c["email"] for c in (await all_contacts(fresh)).values()}
        assert emails == {"a@example.com"}


async def test_success_and_errors_carry_rate_limit_headers(tenants) -> None:
    tenant = await tenants.create()
    sequence_id = await continuous(tenant)
    responses = [
        await push(tenant, sequence_id, [{"email": "a@example.com"}]),
        await push(tenant, sequence_id, [{"email": "bad"}]),
        await push(tenant, str(uuid.uuid4()), [{"email": "a@example.com"}]),
        await tenant.get(f"/opencx/runs/{uuid.uuid4()}"),
    ]
    assert [r.status_code for r in responses] == [200, 400, 404, 404]
    for response in responses:
        for header in RATE_HEADERS:
            assert response.headers.get(header, "").isdigit(), (response.status_code, dict(response.headers))


async def test_unknown_opencx_paths_and_methods_answer_in_error_dto(tenants) -> None:
    tenant = await tenants.create()
    assert_error_dto(await tenant.get("/opencx/nothing-here"), 404)
    response = await tenant.get(f"/opencx/sequences/{uuid.uuid4()}/contacts")
    assert response.status_code == 405
    assert set(response.json()) == {"statusCode", "message", "error"}


# --- /v1 ignores the filter ----------------------------------------------------------------


async def test_the_v1_add_and_create_ignore_the_filter(tenants) -> None:
    tenant = await tenants.create()
    nobody = {"field": "company", "op": "eq", "value": "Nobody"}
    outsiders = [await new_contact(tenant, email=f"o{i}@example.com", company="Acme") for i in range(3)]
    created = await tenant.post(
        "/v1/sequences",
        json={
            "name": "Filtered",
            "creatorId": tenant.om(0),
            "assignedToIds": [tenant.om(0)],
            "contactIds": [outsiders[0]["id"]],
            "isContinuous": True,
            "filter": nobody,
        },
    )
    assert created.status_code == 201, created.text
    assert created.json()["contactCount"] == 1
    sequence_id = created.json()["id"]
    assert await v1_add(tenant, sequence_id, [{"contactId": outsiders[1]["id"]}]) == 1
    assert set(await active(tenant, sequence_id)) == {outsiders[0]["id"], outsiders[1]["id"]}
    # /opencx applies it to the same kind of contact.
    run = await run_of(tenant, sequence_id, [{"id": outsiders[2]["id"]}, {"id": outsiders[0]["id"]}])
    assert outcomes(run) == ["filtered", "filtered"]
    assert set(await active(tenant, sequence_id)) == {outsiders[0]["id"], outsiders[1]["id"]}
