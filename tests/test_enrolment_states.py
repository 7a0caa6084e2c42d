"""Enrolment states (active, paused, finished), the calling policy of a sequence and a
contact's time zone, on both databases, with the app's clock set by the tests."""

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from tests.factory import Tenant

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)  # a Wednesday


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(app) -> Iterator[Clock]:  # noqa: ANN001
    clock = Clock(NOW)
    saved = app.state.clock
    app.state.clock = clock
    yield clock
    app.state.clock = saved


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


async def items(tenant: Tenant, sequence_id: str, **params: str) -> dict[str, dict]:
    response = await tenant.get(f"/v1/sequences/{sequence_id}/contacts", params={"limit": 100, **params})
    assert response.status_code == 200, response.text
    return {item["contact"]["id"]: item for item in response.json()["data"]}


async def move(tenant: Tenant, sequence_id: str, action: str, body: dict) -> dict:
    response = await tenant.post(f"/v1/sequences/{sequence_id}/contacts/{action}", json=body)
    assert response.status_code == 200, response.text
    return response.json()


async def test_pause_resume_finish_and_their_idempotence(tenants, clock: Clock) -> None:
    tenant = await tenants.create()
    contacts = await tenant.contacts(4)
    sequence_id = await tenant.sequence(contact_ids=contacts)
    listed = await items(tenant, sequence_id)
    assert {i["state"] for i in listed.values()} == {"active"}
    assert all(i["nextCallableAt"] == iso(NOW) and i["attempts"] == 0 for i in listed.values())

    twice = [contacts[0], contacts[1], contacts[0], str(uuid.uuid4())]
    assert await move(tenant, sequence_id, "pause", {"contactIds": twice}) == {"paused": 2}
    assert await move(tenant, sequence_id, "pause", {"contactIds": twice}) == {"paused": 0}
    listed = await items(tenant, sequence_id)
    assert [listed[c]["state"] for c in contacts] == ["paused", "paused", "active", "active"]
    assert listed[contacts[0]]["nextCallableAt"] is None  # paused until resumed

    assert await move(tenant, sequence_id, "resume", {"contactIds": [contacts[0], contacts[2]]}) == {"resumed": 1}
    assert await move(tenant, sequence_id, "resume", {"contactIds": [contacts[0]]}) == {"resumed": 0}
    finished = await move(tenant, sequence_id, "finish", {"contactIds": [contacts[1], contacts[2]]})
    assert finished == {"finished": 2}  # a paused contact can be finished too
    assert await move(tenant, sequence_id, "finish", {"contactIds": [contacts[1]]}) == {"finished": 0}
    assert await move(tenant, sequence_id, "resume", {"contactIds": [contacts[1]]}) == {"resumed": 0}
    assert await move(tenant, sequence_id, "pause", {"contactIds": [contacts[1]]}) == {"paused": 0}
    listed = await items(tenant, sequence_id)
    assert [listed[c]["state"] for c in contacts] == ["active", "finished", "finished", "active"]
    assert listed[contacts[1]]["exitReason"] == "manual" and listed[contacts[1]]["finishedAt"] == iso(NOW)
    assert listed[contacts[1]]["nextCallableAt"] is None

    by_state = {state: set(await items(tenant, sequence_id, state=state)) for state in ("active", "paused", "finished")}
    assert by_state == {"active": {contacts[0], contacts[3]}, "paused": set(), "finished": {contacts[1], contacts[2]}}
    body = (await tenant.get(f"/v1/sequences/{sequence_id}/contacts", params={"state": "finished"})).json()
    assert body["total"] == 2
    assert (await tenant.get(f"/v1/sequences/{sequence_id}/contacts", params={"state": "gone"})).status_code == 400

    # A reason of the client's; removal and re-adding brings the contact back active.
    await move(tenant, sequence_id, "finish", {"contactIds": [contacts[3]], "reason": "wrong person"})
    assert (await items(tenant, sequence_id))[contacts[3]]["exitReason"] == "wrong person"
    await tenant.delete(f"/v1/sequences/{sequence_id}/contacts", json={"contactIds": [contacts[3]]})
    await tenant.post(f"/v1/sequences/{sequence_id}/contacts", json={"contacts": [{"contactId": contacts[3]}]})
    again = (await items(tenant, sequence_id))[contacts[3]]
    assert (again["state"], again["exitReason"], again["finishedAt"]) == ("active", None, None)


async def test_a_pause_until_a_time_ends_by_itself(tenants, clock: Clock) -> None:
    tenant = await tenants.create()
    contacts = await tenant.contacts(2)
    sequence_id = await tenant.sequence(contact_ids=contacts)
    until = NOW + timedelta(hours=2)
    assert await move(tenant, sequence_id, "pause", {"contactIds": contacts, "until": iso(until)}) == {"paused": 2}
    item = (await items(tenant, sequence_id))[contacts[0]]
    assert (item["state"], item["pausedUntil"], item["nextCallableAt"]) == ("paused", iso(until), iso(until))
    assert set(await items(tenant, sequence_id, state="paused")) == set(contacts)
    clock.now = until
    item = (await items(tenant, sequence_id))[contacts[0]]
    assert (item["state"], item["pausedUntil"], item["nextCallableAt"]) == ("active", None, iso(until))
    assert set(await items(tenant, sequence_id, state="active")) == set(contacts)
    assert await items(tenant, sequence_id, state="paused") == {}
    # Already active again: resuming changes nothing, pausing works.
    assert await move(tenant, sequence_id, "resume", {"contactIds": contacts}) == {"resumed": 0}
    assert await move(tenant, sequence_id, "pause", {"contactIds": contacts[:1]}) == {"paused": 1}


async def test_batches_are_checked_like_the_remove_operation(tenants, clock: Clock) -> None:
    tenant = await tenants.create()
    sequence_id = await tenant.sequence()
    for action in ("pause", "resume", "finish"):
        path = f"/v1/sequences/{sequence_id}/contacts/{action}"
        for body in ({"contactIds": []}, {"contactIds": ["x"]}, {}, {"contactIds": [str(uuid.uuid4())] * 101},
                     {"contactIds": [str(uuid.uuid4())], "other": 1}):
            response = await tenant.post(path, json=body)
            assert response.status_code == 400, (action, body, response.text)
            assert response.json()["error"]["code"] == "VALIDATION_ERROR"
        unknown = await tenant.post(f"/v1/sequences/{uuid.uuid4()}/contacts/{action}",
                                    json={"contactIds": [str(uuid.uuid4())]})
        assert unknown.status_code == 404
    bad_until = await tenant.post(f"/v1/sequences/{sequence_id}/contacts/pause",
                                  json={"contactIds": [str(uuid.uuid4())], "until": "tomorrow"})
    assert bad_until.status_code == 400


async def test_another_workspaces_sequence_is_not_found(tenants, clock: Clock) -> None:
    tenant = await tenants.create(workspaces=2)
    contacts = await tenant.contacts(1, workspace_index=1)
    sequence_id = await tenant.sequence(contact_ids=contacts, workspace_index=1)
    limited = Tenant(tenant.client, tenant.organization_id, await tenant.key_for([tenant.workspace_ids[0]]),
                     tenant.workspace_ids, tenant.members, tenant.api_key_id)
    other = await tenants.create()
    for who in (limited, other):
        for action in ("pause", "resume", "finish"):
            response = await who.post(f"/v1/sequences/{sequence_id}/contacts/{action}", json={"contactIds": contacts})
            assert response.status_code == 404, action
    assert (await items(tenant, sequence_id))[contacts[0]]["state"] == "active"


async def call(tenant: Tenant, sequence_id: str, contact: str, status: str) -> dict:
    response = await tenant.post("/v1/calls", json={"sequenceId": sequence_id, "contactId": contact, "status": status})
    assert response.status_code == 201, response.text
    return response.json()


async def test_connecting_finishes_the_contact_in_the_same_transaction(tenants, clock: Clock) -> None:
    tenant = await tenants.create()
    contacts = await tenant.contacts(2)
    sequence_id = await tenant.sequence(contact_ids=contacts)
    first = await call(tenant, sequence_id, contacts[0], "RINGING")
    item = (await items(tenant, sequence_id))[contacts[0]]
    assert (item["state"], item["attempts"], item["status"]) == ("active", 1, "RUNNING")
    moved = await tenant.patch(f"/v1/calls/{first['id']}", json={"status": "CONNECTED"})
    assert moved.status_code == 200
    item = (await items(tenant, sequence_id))[contacts[0]]
    assert (item["state"], item["exitReason"], item["status"]) == ("finished", "connected", "CONNECTED")
    assert item["lastAttemptAt"] == first["startedAt"] and item["nextCallableAt"] is None
    # A history imported in COMPLETED finishes too; a NOT_INITIATED call is no attempt.
    await call(tenant, sequence_id, contacts[1], "NOT_INITIATED")
    assert (await items(tenant, sequence_id))[contacts[1]]["attempts"] == 0
    await call(tenant, sequence_id, contacts[1], "COMPLETED")
    item = (await items(tenant, sequence_id))[contacts[1]]
    assert (item["state"], item["exitReason"], item["attempts"]) == ("finished", "connected", 1)


async def test_the_last_allowed_attempt_finishes_the_contact(tenants, clock: Clock) -> None:
    tenant = await tenants.create()
    contacts = await tenant.contacts(1)
    sequence_id = await tenant.sequence(contact_ids=contacts)
    patched = await tenant.patch(f"/v1/sequences/{sequence_id}", json={"maxAttempts": 2})
    assert patched.json()["maxAttempts"] == 2
    await call(tenant, sequence_id, contacts[0], "NO_ANSWER")
    assert (await items(tenant, sequence_id))[contacts[0]]["state"] == "active"
    second = await call(tenant, sequence_id, contacts[0], "RINGING")
    # Still under way: it may yet connect.
    assert (await items(tenant, sequence_id))[contacts[0]]["state"] == "active"
    await tenant.patch(f"/v1/calls/{second['id']}", json={"status": "BUSY"})
    item = (await items(tenant, sequence_id))[contacts[0]]
    assert (item["state"], item["exitReason"], item["attempts"]) == ("finished", "max_attempts", 2)


async def test_the_calling_policy_on_create_and_patch(tenants, clock: Clock) -> None:
    tenant = await tenants.create()
    window = {"start": "09:00", "end": "20:00", "days": ["MON", "TUE", "WED", "THU", "FRI"]}
    response = await tenant.post("/v1/sequences", json={
        "name": "Policy", "creatorId": tenant.om(0), "assignedToIds": [tenant.om(0)],
        "callingWindow": window, "maxAttempts": 3, "retryAfterMinutes": 60,
    })
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["callingWindow"], body["maxAttempts"], body["retryAfterMinutes"]) == (window, 3, 60)
    sequence_id = body["id"]
    plain = (await tenant.get(f"/v1/sequences/{await tenant.sequence()}")).json()
    assert (plain["callingWindow"], plain["maxAttempts"], plain["retryAfterMinutes"]) == (None, None, 0)
    patched = (await tenant.patch(f"/v1/sequences/{sequence_id}", json={"callingWindow": None})).json()
    assert (patched["callingWindow"], patched["maxAttempts"], patched["retryAfterMinutes"]) == (None, 3, 60)
    patched = (await tenant.patch(f"/v1/sequences/{sequence_id}", json={"maxAttempts": None, "retryAfterMinutes": 5,
                                                                         "callingWindow": window})).json()
    assert (patched["callingWindow"], patched["maxAttempts"], patched["retryAfterMinutes"]) == (window, None, 5)
    for bad in ({"callingWindow": {**window, "end": "08:00"}}, {"callingWindow": {**window, "start": "9:00"}},
                {"callingWindow": {**window, "days": []}}, {"callingWindow": {**window, "days": ["MON", "MON"]}},
                {"callingWindow": {**window, "days": ["LUN"]}}, {"callingWindow": {**window, "start": "24:00"}},
                {"maxAttempts": 0}, {"retryAfterMinutes": -1}, {"retryAfterMinutes": None}):
        response = await tenant.patch(f"/v1/sequences/{sequence_id}", json=bad)
        assert response.status_code == 400, (bad, response.text)
    assert (await tenant.get(f"/v1/sequences/{sequence_id}")).json() == patched | {"updatedAt": patched["updatedAt"]}


async def test_a_contacts_time_zone(tenants, clock: Clock) -> None:
    tenant = await tenants.create()
    created = await tenant.post("/v1/contacts", json={"phoneNumbers": ["+12125551234"], "timeZone": "Asia/Tokyo"})
    assert created.status_code == 201, created.text
    contact = created.json()
    assert contact["timeZone"] == "Asia/Tokyo"
    bad = await tenant.post("/v1/contacts", json={"timeZone": "Mars/Olympus"})
    assert bad.status_code == 400 and "timeZone" in bad.json()["error"]["message"]
    bad = await tenant.patch(f"/v1/contacts/{contact['id']}", json={"timeZone": "Nowhere"})
    assert bad.status_code == 400
    # A window that is open in Tokyo (19:00 there) but not in New York (05:00).
    window = {"start": "09:00", "end": "20:00", "days": ["MON", "TUE", "WED", "THU", "FRI"]}
    sequence_id = await tenant.sequence(contact_ids=[contact["id"]])
    await tenant.patch(f"/v1/sequences/{sequence_id}", json={"callingWindow": window})
    item = (await items(tenant, sequence_id))[contact["id"]]
    assert (item["timeZone"], item["nextCallableAt"]) == ("Asia/Tokyo", iso(NOW))
    cleared = await tenant.patch(f"/v1/contacts/{contact['id']}", json={"timeZone": None})
    assert cleared.json()["timeZone"] is None
    item = (await items(tenant, sequence_id))[contact["id"]]
    # 09:00 in New York on that Wednesday is 14:00 UTC.
    assert (item["timeZone"], item["nextCallableAt"]) == (None, iso(NOW.replace(hour=14)))
