"""The do-not-call list and the 409s of POST /v1/calls, on both databases."""

from datetime import UTC, datetime

from tests.factory import Tenant
from tests.test_enrolment_states import NOW, Clock, clock  # noqa: F401  (the fixture)

WEEKDAYS = ["MON", "TUE", "WED", "THU", "FRI"]


async def listed(tenant: Tenant, **params: str) -> dict:
    response = await tenant.get("/v1/do-not-call", params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def test_add_list_and_remove_numbers(tenants) -> None:
    tenant = await tenants.create()
    response = await tenant.post("/v1/do-not-call", json={"numbers": ["06 12 34 56 78", "+33612345678",
                                                                      "+12125551234"], "reason": "asked"})
    assert (response.status_code, response.json()) == (201, {"added": 2})
    again = await tenant.post("/v1/do-not-call", json={"numbers": ["0033 6 12 34 56 78", "06 98 76 54 32"]})
    assert again.json() == {"added": 1}
    body = await listed(tenant)
    assert body["total"] == 3
    assert {(i["number"], i["reason"]) for i in body["data"]} == {
        ("+33612345678", "asked"), ("+12125551234", "asked"), ("+33698765432", None)}
    one = await listed(tenant, number="06 12 34 56 78")
    assert [i["number"] for i in one["data"]] == ["+33612345678"] and one["total"] == 1
    assert (await listed(tenant, number="06 11 11 11 11"))["total"] == 0
    assert (await tenant.get("/v1/do-not-call", params={"number": "nope"})).status_code == 400
    assert (await tenant.delete("/v1/do-not-call/+33612345678")).status_code == 204
    assert (await tenant.delete("/v1/do-not-call/+33612345678")).status_code == 404
    assert (await tenant.delete("/v1/do-not-call/0698765432")).status_code == 204
    assert [i["number"] for i in (await listed(tenant))["data"]] == ["+12125551234"]


async def test_bad_batches_add_nothing(tenants) -> None:
    tenant = await tenants.create()
    for body in ({"numbers": []}, {"numbers": ["+33612345678", "not a number"]}, {},
                 {"numbers": ["+33612345678"] * 1001}, {"numbers": ["+33612345678"], "x": 1},
                 {"numbers": ["+33612345678"], "reason": ""}):
        response = await tenant.post("/v1/do-not-call", json=body)
        assert response.status_code == 400, (body, response.text)
    bad = await tenant.post("/v1/do-not-call", json={"numbers": ["+33612345678", "not a number"]})
    assert "numbers[1]" in bad.json()["error"]["message"]
    assert (await listed(tenant))["total"] == 0
    thousand = [f"+3361{i:07d}" for i in range(1000)]
    assert (await tenant.post("/v1/do-not-call", json={"numbers": thousand})).json() == {"added": 1000}


async def test_another_organizations_list_is_invisible(tenants) -> None:
    a, b = await tenants.create(), await tenants.create()
    await a.post("/v1/do-not-call", json={"numbers": ["+33612345678"]})
    assert (await listed(b))["total"] == 0
    assert (await b.delete("/v1/do-not-call/+33612345678")).status_code == 404
    # b may list the same number for itself, and a's entry stays.
    assert (await b.post("/v1/do-not-call", json={"numbers": ["+33612345678"]})).json() == {"added": 1}
    assert (await listed(a))["total"] == 1
    # And a's list does not stop b's calls.
    [contact] = await b.contacts(1)
    await b.patch(f"/v1/contacts/{contact}", json={"phoneNumbers": ["+33698765432"]})
    sequence_id = await b.sequence(contact_ids=[contact])
    await a.post("/v1/do-not-call", json={"numbers": ["+33698765432"]})
    response = await b.post("/v1/calls", json={"sequenceId": sequence_id, "contactId": contact, "status": "QUEUED"})
    assert response.status_code == 201


async def place(tenant: Tenant, sequence_id: str, contact: str, status: str = "QUEUED"):  # noqa: ANN201
    return await tenant.post("/v1/calls", json={"sequenceId": sequence_id, "contactId": contact, "status": status})


def assert_conflict(response, code: str) -> None:  # noqa: ANN001
    assert response.status_code == 409, response.text
    assert response.json()["error"]["code"] == code


async def test_a_listed_number_is_not_called_but_a_history_is_imported(tenants, clock: Clock) -> None:
    tenant = await tenants.create()
    [contact] = await tenant.contacts(1)
    number = (await tenant.get(f"/v1/contacts/{contact}")).json()["phoneNumbers"][0]["number"]
    sequence_id = await tenant.sequence(contact_ids=[contact])
    await tenant.post("/v1/do-not-call", json={"numbers": [number]})
    for status in ("NOT_INITIATED", "INITIATED", "QUEUED", "RINGING", "IN_PROGRESS"):
        assert_conflict(await place(tenant, sequence_id, contact, status), "DO_NOT_CALL")
    calls = (await tenant.get("/v1/calls", params={"sequenceId": sequence_id})).json()
    assert calls["total"] == 0
    for status in ("CONNECTED", "COMPLETED", "NO_ANSWER"):
        assert (await place(tenant, sequence_id, contact, status)).status_code == 201
    await tenant.delete(f"/v1/do-not-call/{number}")
    # Unlisted, and the sequence has no window or cap: placed again.
    assert (await place(tenant, sequence_id, contact)).status_code == 201


async def test_outside_the_window_and_past_the_attempts(tenants, clock: Clock) -> None:
    tenant = await tenants.create()
    [contact] = await tenant.contacts(1)  # a French mobile: Europe/Paris
    sequence_id = await tenant.sequence(contact_ids=[contact])
    window = {"start": "09:00", "end": "20:00", "days": WEEKDAYS}
    await tenant.patch(f"/v1/sequences/{sequence_id}", json={"callingWindow": window, "maxAttempts": 1})
    clock.now = datetime(2026, 12, 2, 7, 59, tzinfo=UTC)  # 08:59 in Paris
    assert_conflict(await place(tenant, sequence_id, contact), "OUTSIDE_CALLING_WINDOW")
    clock.now = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)  # a Saturday
    assert_conflict(await place(tenant, sequence_id, contact), "OUTSIDE_CALLING_WINDOW")
    # A history is still imported outside the window.
    assert (await place(tenant, sequence_id, contact, "NO_ANSWER")).status_code == 201
    clock.now = NOW  # 11:00 in Paris on a Wednesday
    assert_conflict(await place(tenant, sequence_id, contact), "MAX_ATTEMPTS_REACHED")
    await tenant.patch(f"/v1/sequences/{sequence_id}", json={"maxAttempts": 2})
    assert (await place(tenant, sequence_id, contact)).status_code == 201
    # The contact's own zone wins: 11:00 in Paris is 01:00 in Honolulu.
    await tenant.patch(f"/v1/sequences/{sequence_id}", json={"maxAttempts": None})
    await tenant.patch(f"/v1/contacts/{contact}", json={"timeZone": "Pacific/Honolulu"})
    assert_conflict(await place(tenant, sequence_id, contact), "OUTSIDE_CALLING_WINDOW")
    await tenant.patch(f"/v1/contacts/{contact}", json={"timeZone": None})
    assert (await place(tenant, sequence_id, contact)).status_code == 201
