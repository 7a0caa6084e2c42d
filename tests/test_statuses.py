"""The status of a contact in a sequence: the rule, and when it is recomputed."""

import pytest

from relance.calls.lifecycle import END_STATES, CallStatus
from relance.calls.statuses import derive
from tests.factory import Tenant

S = CallStatus
EXPECTED_BY_LAST_CALL = {
    S.INITIATED: "RUNNING",
    S.QUEUED: "RUNNING",
    S.RINGING: "RUNNING",
    S.IN_PROGRESS: "RUNNING",
    S.BUSY: "RUNNING",
    S.NO_ANSWER: "RUNNING",
    S.MISSED_CALL: "RUNNING",
    S.VOICEMAIL: "RESPONDER",
    S.ERROR_NUMBER: "ERROR",
    S.ERROR_COUNTRY: "ERROR",
    S.UNKNOWN_ERROR: "ERROR",
    S.CANCELLED: "CANCELLED",
    S.CONNECTED: "CONNECTED",
    S.COMPLETED: "CONNECTED",
}


def test_the_rule_line_by_line() -> None:
    reached = {S.CONNECTED, S.COMPLETED}
    for last in [None, *S]:
        if last == S.NOT_INITIATED:
            continue  # never a "last call"
        for has_number in (True, False):
            for ever in (True, False):
                got = derive(ever_reached=ever or last in reached, has_number=has_number, last_call=last)
                if ever or last in reached:
                    assert got == "CONNECTED"
                elif not has_number:
                    assert got == "MISSING_NUMBER"
                elif last is None:
                    assert got is None
                else:
                    assert got == EXPECTED_BY_LAST_CALL[last]


async def status_of(tenant: Tenant, sequence_id: str, contact_id: str) -> str | None:
    items = (await tenant.get(f"/v1/sequences/{sequence_id}/contacts?limit=100")).json()["data"]
    return next(i["status"] for i in items if i["contact"]["id"] == contact_id)


async def call(tenant: Tenant, sequence_id: str, contact_id: str, status: CallStatus) -> str:
    response = await tenant.post("/v1/calls", json={"sequenceId": sequence_id, "contactId": contact_id, "status": status})
    assert response.status_code == 201, response.text
    return response.json()["id"]


@pytest.mark.parametrize("last", sorted(set(S) - {S.NOT_INITIATED}))
async def test_status_follows_the_last_call(tenants, last) -> None:
    tenant = await tenants.create()
    [contact] = await tenant.contacts(1)
    sequence_id = await tenant.sequence(contact_ids=[contact])
    assert await status_of(tenant, sequence_id, contact) is None
    await call(tenant, sequence_id, contact, S.NOT_INITIATED)
    assert await status_of(tenant, sequence_id, contact) is None  # NOT_INITIATED calls are ignored
    await call(tenant, sequence_id, contact, last)
    assert await status_of(tenant, sequence_id, contact) == EXPECTED_BY_LAST_CALL[last]
    # A later NOT_INITIATED call changes nothing either.
    await call(tenant, sequence_id, contact, S.NOT_INITIATED)
    assert await status_of(tenant, sequence_id, contact) == EXPECTED_BY_LAST_CALL[last]


async def test_connected_sticks_whatever_follows(tenants) -> None:
    tenant = await tenants.create()
    [contact] = await tenant.contacts(1)
    sequence_id = await tenant.sequence(contact_ids=[contact])
    await call(tenant, sequence_id, contact, S.COMPLETED)
    for later in (S.VOICEMAIL, S.ERROR_NUMBER, S.CANCELLED, S.RINGING):
        await call(tenant, sequence_id, contact, later)
        assert await status_of(tenant, sequence_id, contact) == "CONNECTED"
    await tenant.patch(f"/v1/contacts/{contact}", json={"phoneNumbers": []})
    assert await status_of(tenant, sequence_id, contact) == "CONNECTED"


async def test_moving_a_call_moves_the_status(tenants) -> None:
    tenant = await tenants.create()
    [contact] = await tenant.contacts(1)
    sequence_id = await tenant.sequence(contact_ids=[contact])
    call_id = await call(tenant, sequence_id, contact, S.NOT_INITIATED)
    seen = []
    for step in (S.RINGING, S.IN_PROGRESS, S.VOICEMAIL):
        assert (await tenant.patch(f"/v1/calls/{call_id}", json={"status": step})).status_code == 200
        seen.append(await status_of(tenant, sequence_id, contact))
    assert seen == ["RUNNING", "RUNNING", "RESPONDER"]


async def test_the_last_call_is_the_latest_created_not_the_latest_moved(tenants) -> None:
    tenant = await tenants.create()
    [contact] = await tenant.contacts(1)
    sequence_id = await tenant.sequence(contact_ids=[contact])
    first = await call(tenant, sequence_id, contact, S.RINGING)
    await call(tenant, sequence_id, contact, S.VOICEMAIL)
    # Moving the older call does not make it the last one.
    await tenant.patch(f"/v1/calls/{first}", json={"status": S.ERROR_NUMBER})
    assert await status_of(tenant, sequence_id, contact) == "RESPONDER"


async def test_missing_number_on_enrolment_and_when_numbers_change(tenants) -> None:
    tenant = await tenants.create()
    [without] = await tenant.contacts(1, numbers=False)
    [with_calls] = await tenant.contacts(1)
    sequence_id = await tenant.sequence(contact_ids=[without, with_calls])
    assert await status_of(tenant, sequence_id, without) == "MISSING_NUMBER"
    await tenant.patch(f"/v1/contacts/{without}", json={"phoneNumbers": ["+33612345678"]})
    assert await status_of(tenant, sequence_id, without) is None

    await call(tenant, sequence_id, with_calls, S.BUSY)
    await tenant.patch(f"/v1/contacts/{with_calls}", json={"phoneNumbers": []})
    assert await status_of(tenant, sequence_id, with_calls) == "MISSING_NUMBER"
    await tenant.patch(f"/v1/contacts/{with_calls}", json={"phoneNumbers": ["+33698765432"]})
    assert await status_of(tenant, sequence_id, with_calls) == "RUNNING"  # from its last call again


async def test_status_is_per_sequence_and_survives_resurrection(tenants) -> None:
    tenant = await tenants.create()
    [contact] = await tenant.contacts(1)
    first = await tenant.sequence(contact_ids=[contact])
    second = await tenant.sequence(contact_ids=[contact])
    await call(tenant, first, contact, S.VOICEMAIL)
    assert await status_of(tenant, first, contact) == "RESPONDER"
    assert await status_of(tenant, second, contact) is None
    await tenant.delete(f"/v1/sequences/{first}/contacts", json={"contactIds": [contact]})
    await tenant.patch(f"/v1/contacts/{contact}", json={"phoneNumbers": []})
    await tenant.post(f"/v1/sequences/{first}/contacts", json={"contacts": [{"contactId": contact}]})
    assert await status_of(tenant, first, contact) == "MISSING_NUMBER"


async def test_status_filter(tenants) -> None:
    tenant = await tenants.create()
    contacts = await tenant.contacts(6)
    [no_number] = await tenant.contacts(1, numbers=False)
    sequence_id = await tenant.sequence(contact_ids=contacts + [no_number])
    plan = {contacts[0]: S.COMPLETED, contacts[1]: S.VOICEMAIL, contacts[2]: S.ERROR_COUNTRY,
            contacts[3]: S.CANCELLED, contacts[4]: S.NO_ANSWER}
    for contact, status in plan.items():
        await call(tenant, sequence_id, contact, status)
    expected = {"CONNECTED": [contacts[0]], "RESPONDER": [contacts[1]], "ERROR": [contacts[2]],
                "CANCELLED": [contacts[3]], "RUNNING": [contacts[4]], "MISSING_NUMBER": [no_number]}
    for status, members in expected.items():
        body = (await tenant.get(f"/v1/sequences/{sequence_id}/contacts?status={status}")).json()
        assert [i["contact"]["id"] for i in body["data"]] == members, status
        assert body["total"] == 1 and all(i["status"] == status for i in body["data"])
    assert (await tenant.get(f"/v1/sequences/{sequence_id}/contacts")).json()["total"] == 7


def test_end_states_are_the_documented_nine() -> None:
    assert {s.value for s in END_STATES} == {
        "COMPLETED", "BUSY", "NO_ANSWER", "MISSED_CALL", "VOICEMAIL", "CANCELLED",
        "ERROR_NUMBER", "ERROR_COUNTRY", "UNKNOWN_ERROR",
    }
