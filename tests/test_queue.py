"""POST /v1/sequences/{id}/next: the rep's next call, on both databases, with the app's
clock set by the tests (never a real hour)."""

import asyncio
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from relance.db.engine import count_statements
from tests.factory import Tenant
from tests.test_enrolment_states import NOW, Clock, clock  # noqa: F401  (the fixture)

WEEKDAYS = ["MON", "TUE", "WED", "THU", "FRI"]
WINDOW = {"start": "09:00", "end": "20:00", "days": WEEKDAYS}


async def next_call(tenant: Tenant, sequence_id: str, rep: str | None = None) -> httpx.Response:
    body = {} if rep is None else {"workspaceMembershipId": rep}
    return await tenant.post(f"/v1/sequences/{sequence_id}/next", json=body)


async def claimed(tenant: Tenant, sequence_id: str, rep: str | None = None) -> dict:
    response = await next_call(tenant, sequence_id, rep)
    assert response.status_code == 201, response.text
    return response.json()


async def end_call(tenant: Tenant, call_id: str, status: str = "NO_ANSWER") -> None:
    response = await tenant.patch(f"/v1/calls/{call_id}", json={"status": status})
    assert response.status_code == 200, response.text


async def contact_with(tenant: Tenant, *numbers: str, time_zone: str | None = None) -> str:
    body: dict = {"phoneNumbers": list(numbers)}
    if time_zone is not None:
        body["timeZone"] = time_zone
    response = await tenant.post("/v1/contacts", json=body)
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def listed_order(tenant: Tenant, sequence_id: str) -> list[str]:
    body = (await tenant.get(f"/v1/sequences/{sequence_id}/contacts", params={"limit": 100})).json()
    return [item["contact"]["id"] for item in body["data"]]


async def one_rep_sequence(tenant: Tenant, contacts: list[str], **policy: object) -> str:
    response = await tenant.post("/v1/sequences", json={
        "name": "Queue", "creatorId": tenant.om(0), "assignedToIds": [tenant.om(0)],
        "contactIds": contacts, **policy,
    })
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def test_each_next_claims_the_following_contact_with_a_queued_call(tenants, clock: Clock) -> None:
    tenant = await tenants.create()
    contacts = await tenant.contacts(3)
    sequence_id = await one_rep_sequence(tenant, contacts)
    seen = []
    for _ in contacts:
        body = await claimed(tenant, sequence_id)
        call, enrolment, number = body["call"], body["sequenceContact"], body["phoneNumber"]
        assert (call["status"], call["workspaceMembershipId"], call["sequenceId"]) == ("QUEUED", tenant.wm(0),
                                                                                       sequence_id)
        assert call["contactId"] == enrolment["contactId"] and call["phoneNumberId"] == number["id"]
        assert (enrolment["attempts"], enrolment["status"], enrolment["state"]) == (1, "RUNNING", "active")
        seen.append(call["contactId"])
    assert seen == await listed_order(tenant, sequence_id)  # enrolment order, the list's
    # Every contact has a call under way: nobody, and nothing Relance knows of will change it.
    response = await next_call(tenant, sequence_id)
    assert response.status_code == 204 and "retry-after" not in response.headers
    assert response.content == b""


async def test_never_called_first_then_the_oldest_last_attempt(tenants, clock: Clock) -> None:
    tenant = await tenants.create()
    contacts = await tenant.contacts(3)
    sequence_id = await one_rep_sequence(tenant, contacts)
    # contacts[1] called at NOW, contacts[0] at NOW + 1 min; contacts[2] never.
    first = await tenant.post("/v1/calls", json={"sequenceId": sequence_id, "contactId": contacts[1],
                                                 "status": "NO_ANSWER"})
    assert first.status_code == 201
    clock.now = NOW + timedelta(minutes=1)
    await tenant.post("/v1/calls", json={"sequenceId": sequence_id, "contactId": contacts[0], "status": "BUSY"})
    clock.now = NOW + timedelta(minutes=2)
    order = [(await claimed(tenant, sequence_id))["call"]["contactId"] for _ in range(3)]
    assert order == [contacts[2], contacts[1], contacts[0]]


async def test_the_rep_is_required_unless_the_sequence_has_one(tenants, clock: Clock) -> None:
    tenant = await tenants.create(members=4)
    contacts = await tenant.contacts(2)
    sequence_id = await tenant.sequence(assignees=[0, 1], contact_ids=contacts)
    response = await next_call(tenant, sequence_id)
    assert response.status_code == 400 and "workspaceMembershipId" in response.json()["error"]["message"]
    for stranger in (tenant.wm(3), str(uuid.uuid4())):
        response = await next_call(tenant, sequence_id, stranger)
        assert response.status_code == 400, response.text
    body = await claimed(tenant, sequence_id, tenant.wm(1))
    assert body["sequenceContact"]["assignedToWorkspaceMembershipId"] == tenant.wm(1)
    assert (await next_call(tenant, sequence_id, tenant.wm(1))).status_code == 204
    assert (await tenant.post(f"/v1/sequences/{sequence_id}/next", json={"other": 1})).status_code == 400
    assert (await next_call(tenant, str(uuid.uuid4()), tenant.wm(0))).status_code == 404


async def test_another_workspaces_sequence_is_not_found(tenants, clock: Clock) -> None:
    tenant = await tenants.create(workspaces=2)
    contacts = await tenant.contacts(1, workspace_index=1)
    sequence_id = await tenant.sequence(assignees=[0], contact_ids=contacts, workspace_index=1)
    limited = Tenant(tenant.client, tenant.organization_id, await tenant.key_for([tenant.workspace_ids[0]]),
                     tenant.workspace_ids, tenant.members, tenant.api_key_id)
    assert (await next_call(limited, sequence_id)).status_code == 404
    assert (await next_call(await tenants.create(), sequence_id)).status_code == 404
    assert (await tenant.get("/v1/calls", params={"sequenceId": sequence_id})).json()["total"] == 0


async def test_the_retry_delay_and_retry_after(tenants, clock: Clock) -> None:
    tenant = await tenants.create()
    contacts = await tenant.contacts(1)
    sequence_id = await one_rep_sequence(tenant, contacts, retryAfterMinutes=60)
    call = (await claimed(tenant, sequence_id))["call"]
    await end_call(tenant, call["id"])
    clock.now = NOW + timedelta(minutes=10)
    response = await next_call(tenant, sequence_id)
    assert (response.status_code, response.headers.get("retry-after")) == (204, str(50 * 60))
    clock.now = NOW + timedelta(minutes=60)
    assert (await claimed(tenant, sequence_id))["sequenceContact"]["attempts"] == 2


async def test_paused_finished_and_capped_contacts_are_not_offered(tenants, clock: Clock) -> None:
    tenant = await tenants.create()
    contacts = await tenant.contacts(3)
    sequence_id = await one_rep_sequence(tenant, contacts, maxAttempts=1)
    until = NOW + timedelta(hours=1)
    await tenant.post(f"/v1/sequences/{sequence_id}/contacts/pause", json={"contactIds": [contacts[0]],
                                                                           "until": until.isoformat()})
    await tenant.post(f"/v1/sequences/{sequence_id}/contacts/finish", json={"contactIds": [contacts[1]]})
    call = (await claimed(tenant, sequence_id))["call"]
    assert call["contactId"] == contacts[2]
    await end_call(tenant, call["id"])  # its one attempt: finished (max_attempts)
    response = await next_call(tenant, sequence_id)
    assert (response.status_code, response.headers.get("retry-after")) == (204, "3600")
    clock.now = until
    assert (await claimed(tenant, sequence_id))["call"]["contactId"] == contacts[0]


async def test_do_not_call_numbers_are_never_offered(tenants, clock: Clock) -> None:
    tenant = await tenants.create()
    both = await contact_with(tenant, "+33612345601", "+33612345602")
    only = await contact_with(tenant, "+33612345603")
    sequence_id = await one_rep_sequence(tenant, [both, only])
    await tenant.post("/v1/do-not-call", json={"numbers": ["+33612345601", "+33612345603"]})
    body = await claimed(tenant, sequence_id)
    assert (body["call"]["contactId"], body["phoneNumber"]["number"]) == (both, "+33612345602")
    assert (await next_call(tenant, sequence_id)).status_code == 204


async def test_windows_in_each_numbers_zones(tenants, clock: Clock) -> None:
    tenant = await tenants.create()
    paris = await contact_with(tenant, "+33612345678")
    new_york = await contact_with(tenant, "+12125551234")
    north_dakota = await contact_with(tenant, "+17016001234")  # Mountain and Central
    tokyo_by_choice = await contact_with(tenant, "+12125551235", time_zone="Asia/Tokyo")
    sequence_id = await one_rep_sequence(tenant, [paris, new_york, north_dakota, tokyo_by_choice],
                                         callingWindow=WINDOW)
    # Wednesday 15:30 UTC: 16:30 Paris, 10:30 New York, 08:30 Mountain, 00:30 Tokyo.
    clock.now = datetime(2026, 12, 2, 15, 30, tzinfo=UTC)
    offered = {(await claimed(tenant, sequence_id))["call"]["contactId"] for _ in range(2)}
    assert offered == {paris, new_york}
    response = await next_call(tenant, sequence_id)
    # 16:00 UTC opens North Dakota's Mountain half.
    assert (response.status_code, response.headers.get("retry-after")) == (204, "1800")
    clock.now = datetime(2026, 12, 2, 16, 0, tzinfo=UTC)
    assert (await claimed(tenant, sequence_id))["call"]["contactId"] == north_dakota
    # Thursday 00:30 UTC is 09:30 in Tokyo.
    clock.now = datetime(2026, 12, 3, 0, 30, tzinfo=UTC)
    assert (await claimed(tenant, sequence_id))["call"]["contactId"] == tokyo_by_choice


async def test_the_queue_order_runs_across_the_zones(tenants, clock: Clock) -> None:
    """The queue is read zone by zone (``SequenceContact.zone_key``), and still handed out
    in one order: enrolment order among the never called, then the oldest last attempt."""
    tenant = await tenants.create()
    numbers = ["+33612345601", "+12125551201", "+33612345602", "+12125551202", "+81312345601"]
    contacts = [await contact_with(tenant, number) for number in numbers]
    sequence_id = await one_rep_sequence(tenant, [])
    for contact in contacts:  # one at a time: enrolment order is the order of the adds
        added = await tenant.post(f"/v1/sequences/{sequence_id}/contacts", json={"contacts": [
            {"contactId": contact, "assignedToWorkspaceMembershipId": tenant.wm(0)}]})
        assert added.status_code == 201, added.text
    calls = []
    for _ in contacts:
        calls.append((await claimed(tenant, sequence_id))["call"])
        clock.now += timedelta(minutes=1)
    assert [c["contactId"] for c in calls] == contacts

    async def round_of(count: int) -> list[str]:
        for call in calls:
            await end_call(tenant, call["id"])
        calls[:] = []
        for _ in range(count):
            calls.append((await claimed(tenant, sequence_id))["call"])
            clock.now += timedelta(minutes=1)
        return [c["contactId"] for c in calls]

    # The first two called again are the two last attempted longest ago; then they are
    # the newest, and come last.
    assert await round_of(2) == contacts[:2]
    assert await round_of(5) == contacts[2:] + contacts[:2]


async def test_a_contact_s_zones_follow_its_numbers_and_its_time_zone(tenants, clock: Clock) -> None:
    """Wednesday 15:30 UTC: open in Paris (16:30) and New York (10:30), closed in Los
    Angeles (07:30). A contact with numbers in two zones is offered on the one open; its
    numbers or its time zone changed, the queue follows."""
    tenant = await tenants.create()
    clock.now = datetime(2026, 12, 2, 15, 30, tzinfo=UTC)
    both = await contact_with(tenant, "+12135551234", "+33612345678")
    sequence_id = await one_rep_sequence(tenant, [both], callingWindow=WINDOW)
    body = await claimed(tenant, sequence_id)
    assert (body["call"]["contactId"], body["phoneNumber"]["number"]) == (both, "+33612345678")
    await end_call(tenant, body["call"]["id"], "CANCELLED")

    async def offered() -> str | None:
        response = await next_call(tenant, sequence_id)
        if response.status_code == 204:
            return None
        assert response.status_code == 201, response.text
        await end_call(tenant, response.json()["call"]["id"], "CANCELLED")
        return response.json()["phoneNumber"]["number"]

    async def patch(**fields: object) -> None:
        response = await tenant.patch(f"/v1/contacts/{both}", json=fields)
        assert response.status_code == 200, response.text

    await patch(phoneNumbers=["+12135551234"])
    assert await offered() is None
    await patch(phoneNumbers=["+12135551234", "+12125551234"])
    assert await offered() == "+12125551234"
    await patch(phoneNumbers=["+12135551234"], timeZone="Europe/Paris")
    assert await offered() == "+12135551234"
    await patch(timeZone="Asia/Tokyo")  # 00:30 there
    assert await offered() is None
    await patch(timeZone=None)
    assert await offered() is None
    # 11:30 in Los Angeles, 20:30 in Paris, 04:30 in Tokyo.
    clock.now = datetime(2026, 12, 2, 19, 30, tzinfo=UTC)
    assert await offered() == "+12135551234"


async def test_paris_windows_across_the_clock_changes(tenants, clock: Clock) -> None:
    tenant = await tenants.create()
    contacts = await tenant.contacts(2)  # French mobiles
    sequence_id = await one_rep_sequence(tenant, contacts, callingWindow=WINDOW)
    # Friday 27 March 2026, 07:30 UTC: 08:30 in Paris (winter time), closed until 08:00 UTC.
    clock.now = datetime(2026, 3, 27, 7, 30, tzinfo=UTC)
    response = await next_call(tenant, sequence_id)
    assert (response.status_code, response.headers.get("retry-after")) == (204, "1800")
    # Monday 30 March, 07:30 UTC: 09:30 in Paris (summer time): open.
    clock.now = datetime(2026, 3, 30, 7, 30, tzinfo=UTC)
    assert (await claimed(tenant, sequence_id))["call"]["contactId"] in contacts
    # Monday 26 October, 07:30 UTC: 08:30 in Paris (winter time again): closed.
    clock.now = datetime(2026, 10, 26, 7, 30, tzinfo=UTC)
    response = await next_call(tenant, sequence_id)
    assert (response.status_code, response.headers.get("retry-after")) == (204, "1800")
    # Friday 23 October, 18:30 UTC: 20:30 in Paris (summer time): closed till Monday 08:00 UTC.
    clock.now = datetime(2026, 10, 23, 18, 30, tzinfo=UTC)
    response = await next_call(tenant, sequence_id)
    monday = datetime(2026, 10, 26, 8, 0, tzinfo=UTC)
    assert response.headers.get("retry-after") == str(int((monday - clock.now).total_seconds()))


async def test_next_costs_the_same_statements_whatever_the_sequence_size(tenants, clock: Clock, database) -> None:
    counts = []
    for size in (2, 40):
        tenant = await tenants.create()
        contacts = await tenant.contacts(size)
        sequence_id = await one_rep_sequence(tenant, contacts, callingWindow=WINDOW, maxAttempts=3)
        # Half of them under way, so that the candidate is not the first row.
        for _ in range(size // 2):
            await claimed(tenant, sequence_id)
        with count_statements(database.engine) as counted:
            await claimed(tenant, sequence_id)
        counts.append(len(counted.statements))
    assert counts[0] == counts[1], counts
    # The key's read (BEGIN, the key), then BEGIN IMMEDIATE, the sequence, its assignees
    # (the rep is not named), the sequence again with the rep's lock, the candidate, the
    # call, the status facts, their write, the counts, the events, the endpoints, and the
    # claimed row with its number.
    assert counts[0] <= 14, [s[:60] for s in counted.statements]
    # Named, the rep is locked in the statement that reads the sequence: neither the
    # assignees nor the sequence again (on either database: PostgreSQL's BEGIN is not
    # counted, SQLite's is).
    with count_statements(database.engine) as named:
        await claimed(tenant, sequence_id, tenant.wm(0))
    assert len(named.statements) == counts[1] - 2, [s[:60] for s in named.statements]


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_a_contact_removed_while_next_waits_for_it_is_not_claimed(tenants, clock: Clock, database) -> None:
    """``next`` picks the first contact, then waits for its row, which a removal holds;
    the removal commits, and the removed contact is not claimed. That ``next`` answers
    204 (it picked one head per zone, and the zone's one was removed); the next one finds
    the second contact. SQLite has one writer: the two cannot interleave there."""
    tenant = await tenants.create()
    first, second = await tenant.contacts(2)
    sequence_id = await one_rep_sequence(tenant, [first])
    added = await tenant.post(f"/v1/sequences/{sequence_id}/contacts", json={"contacts": [{"contactId": second}]})
    assert added.status_code == 201, added.text  # enrolled after the first: behind it in the queue
    engine = create_async_engine(database.url)
    try:
        async with engine.connect() as removal:
            await removal.execute(
                text("UPDATE sequence_contacts SET deleted_at = now() WHERE contact_id = :c"), {"c": first})
            claim = asyncio.create_task(next_call(tenant, sequence_id))
            for _ in range(200):
                async with engine.connect() as watcher:
                    waiting = await watcher.scalar(text(
                        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                        "AND query LIKE 'WITH RECURSIVE present%'"))
                if waiting or claim.done():
                    break
                await asyncio.sleep(0.05)
            assert waiting, "next never waited for the row"
            await removal.commit()
        response = await asyncio.wait_for(claim, 30)
    finally:
        await engine.dispose()
    assert response.status_code == 204, response.text
    assert (await claimed(tenant, sequence_id))["call"]["contactId"] == second


async def test_32_concurrent_nexts_by_4_reps_hand_out_each_contact_once(tenants, clock: Clock) -> None:
    tenant = await tenants.create(members=4)
    contacts = await tenant.contacts(24)
    sequence_id = await tenant.sequence(assignees=[0, 1, 2, 3], contact_ids=contacts)
    reps = [tenant.wm(i) for i in range(4)]
    # Two HTTP clients on the app, eight requests per rep, all at once.
    async with httpx.AsyncClient(transport=tenant.client._transport, base_url="http://relance.test") as other:
        second = Tenant(other, tenant.organization_id, tenant.key, tenant.workspace_ids, tenant.members,
                        tenant.api_key_id)
        responses = await asyncio.wait_for(asyncio.gather(*(
            next_call((tenant, second)[i % 2], sequence_id, reps[i % 4]) for i in range(32)
        )), timeout=60)
    assert Counter(r.status_code for r in responses) == {201: 24, 204: 8}, [r.text for r in responses]
    handed = [r.json()["call"] for r in responses if r.status_code == 201]
    assert sorted(c["contactId"] for c in handed) == sorted(contacts)
    listed = (await tenant.get(f"/v1/sequences/{sequence_id}/contacts", params={"limit": 100})).json()["data"]
    assignee = {i["contact"]["id"]: i["assignedToWorkspaceMembershipId"] for i in listed}
    assert all(c["workspaceMembershipId"] == assignee[c["contactId"]] for c in handed)
    calls = (await tenant.get("/v1/calls", params={"sequenceId": sequence_id, "limit": 100})).json()
    assert calls["total"] == 24
