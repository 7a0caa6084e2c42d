"""The status of a contact in a sequence: the rule, and when it is recomputed."""

import itertools
import random

import pytest

from relance.enrolments import statuses
from relance.call_lifecycle import END_STATES, CallStatus
from relance.enrolments.statuses import StatusFacts, derive
from tests.factory import Tenant

S = CallStatus
UNDER_WAY = {S.INITIATED, S.QUEUED, S.RINGING, S.IN_PROGRESS}
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


def lives() -> list[tuple[CallStatus, bool]]:
    """Every life a call can have had, as the rule sees it: (where it is now, whether it
    entered CONNECTED or COMPLETED on the way)."""
    result = []
    for status in S:
        if status in (S.CONNECTED, S.COMPLETED):
            result.append((status, True))
        elif status in END_STATES:
            result += [(status, False), (status, True)]  # ended directly, or after CONNECTED
        else:
            result.append((status, False))
    return result


def expected_status(history: list[tuple[CallStatus, bool]], has_number: bool) -> str | None:
    """The rule as the README writes it, read on a history of calls, oldest first."""
    started = [status for status, _ in history if status != S.NOT_INITIATED]
    if any(reached for _, reached in history):
        return "CONNECTED"
    if not has_number:
        return "MISSING_NUMBER"
    if not started:
        return None
    if any(status in UNDER_WAY for status in started):
        return "RUNNING"
    return EXPECTED_BY_LAST_CALL[started[-1]]


def facts_of(history: list[tuple[CallStatus, bool]], has_number: bool) -> StatusFacts:
    started = [status for status, _ in history if status != S.NOT_INITIATED]
    return StatusFacts(
        reached_a_person=any(reached for _, reached in history),
        has_number=has_number,
        under_way=any(status in UNDER_WAY for status in started),
        last_call=started[-1] if started else None,
    )


def test_the_rule_on_every_history_of_up_to_three_calls() -> None:
    checked = 0
    for length in range(4):
        for history in itertools.product(lives(), repeat=length):
            for has_number in (True, False):
                got = derive(facts_of(list(history), has_number))
                assert got == expected_status(list(history), has_number), history
                checked += 1
    assert checked == 2 * sum(len(lives()) ** n for n in range(4))


def test_the_rule_reads_every_call_not_only_the_last() -> None:
    # The examples the rule was clarified with: an earlier call under way or once connected.
    examples = [
        ([(S.RINGING, False), (S.VOICEMAIL, False)], "RUNNING"),
        ([(S.INITIATED, False), (S.ERROR_NUMBER, False)], "RUNNING"),
        ([(S.IN_PROGRESS, False), (S.CANCELLED, False)], "RUNNING"),
        ([(S.NO_ANSWER, True)], "CONNECTED"),
        ([(S.VOICEMAIL, True), (S.ERROR_NUMBER, False)], "CONNECTED"),
        ([(S.BUSY, False), (S.VOICEMAIL, False)], "RESPONDER"),
    ]
    for history, status in examples:
        assert derive(facts_of(history, True)) == status, history
    assert set(UNDER_WAY) == set(statuses.UNDER_WAY)


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


async def test_a_call_that_reached_a_person_keeps_the_contact_connected(tenants) -> None:
    tenant = await tenants.create()
    contacts = await tenant.contacts(len(END_STATES) + 1)
    sequence_id = await tenant.sequence(contact_ids=contacts)
    for contact, after in zip(contacts, sorted(END_STATES), strict=False):
        call_id = await call(tenant, sequence_id, contact, S.RINGING)
        for step in (S.CONNECTED, after):
            moved = await tenant.patch(f"/v1/calls/{call_id}", json={"status": step})
            assert moved.status_code == 200, moved.text
        assert await status_of(tenant, sequence_id, contact) == "CONNECTED", after
    # Created directly in COMPLETED (a history import) counts as well.
    await call(tenant, sequence_id, contacts[-1], S.COMPLETED)
    connected = (await tenant.get(f"/v1/sequences/{sequence_id}/contacts?status=CONNECTED&limit=100")).json()
    assert sorted(i["contact"]["id"] for i in connected["data"]) == sorted(contacts)
    # Numbers changing recompute the status, from the same facts.
    await tenant.patch(f"/v1/contacts/{contacts[0]}", json={"phoneNumbers": []})
    await tenant.patch(f"/v1/contacts/{contacts[0]}", json={"phoneNumbers": ["+33611112222"]})
    assert await status_of(tenant, sequence_id, contacts[0]) == "CONNECTED"


@pytest.mark.parametrize(
    ("earlier", "last"),
    [(S.RINGING, S.VOICEMAIL), (S.INITIATED, S.ERROR_NUMBER), (S.IN_PROGRESS, S.CANCELLED)],
)
async def test_a_call_under_way_makes_the_contact_running_whichever_is_last(tenants, earlier, last) -> None:
    tenant = await tenants.create()
    [contact] = await tenant.contacts(1)
    sequence_id = await tenant.sequence(contact_ids=[contact])
    first = await call(tenant, sequence_id, contact, earlier)
    await call(tenant, sequence_id, contact, last)
    assert await status_of(tenant, sequence_id, contact) == "RUNNING"
    running = (await tenant.get(f"/v1/sequences/{sequence_id}/contacts?status=RUNNING")).json()
    assert [i["contact"]["id"] for i in running["data"]] == [contact]
    # Once the earlier call ends, the last call speaks.
    await tenant.patch(f"/v1/calls/{first}", json={"status": S.BUSY})
    assert await status_of(tenant, sequence_id, contact) == EXPECTED_BY_LAST_CALL[last]


async def test_random_histories_through_the_api(tenants) -> None:
    """Histories built call by call, each call moved along a random forward path, against
    the rule read on the history."""
    rng = random.Random(20261201)
    tenant = await tenants.create()
    contacts = await tenant.contacts(12)
    sequence_id = await tenant.sequence(contact_ids=contacts)
    forward = [s for s in S if s != S.NOT_INITIATED]
    for contact in contacts:
        history: list[tuple[CallStatus, bool]] = []
        for _ in range(rng.randint(1, 3)):
            path = sorted(rng.sample(forward, rng.randint(1, 3)), key=lambda s: list(S).index(s))
            path = path[: next((i + 1 for i, s in enumerate(path) if s in END_STATES), len(path))]
            call_id = await call(tenant, sequence_id, contact, path[0])
            for step in path[1:]:
                moved = await tenant.patch(f"/v1/calls/{call_id}", json={"status": step})
                assert moved.status_code == 200, (path, moved.text)
            history.append((path[-1], any(s in (S.CONNECTED, S.COMPLETED) for s in path)))
        assert await status_of(tenant, sequence_id, contact) == expected_status(history, True), history
