"""The event outbox: each change records its events in its own transaction, with the
data the issue names, in a constant number of statements; /v1/events pages through them."""

import uuid

import pytest

from relance.db.engine import count_statements
from relance.errors import ValidationFailed
from relance.events import outbox
from tests.factory import Tenant


async def feed(tenant: Tenant, *, limit: int = 1000) -> list[dict]:
    """Every event the tenant's key sees, through the cursor, oldest first."""
    events: list[dict] = []
    after: str | None = None
    for _ in range(1000):  # bounded: far more pages than any test makes
        params = {"limit": limit} | ({"after": after} if after else {})
        response = await tenant.get("/v1/events", params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        events.extend(page["data"])
        after = page["next"]
        if after is None:
            return events
    raise AssertionError("the feed never ended")


async def add(tenant: Tenant, sequence_id: str, contacts: list[str]) -> None:
    response = await tenant.post(
        f"/v1/sequences/{sequence_id}/contacts", json={"contacts": [{"contactId": c} for c in contacts]}
    )
    assert response.status_code in (200, 201), response.text


async def test_adds_and_removals_record_their_events_with_their_data(tenants) -> None:
    tenant = await tenants.create()
    contacts = await tenant.contacts(3)
    sequence_id = await tenant.sequence()
    await add(tenant, sequence_id, contacts)
    removed = await tenant.delete(f"/v1/sequences/{sequence_id}/contacts", json={"contactIds": [contacts[0]]})
    assert removed.status_code == 200, removed.text
    await add(tenant, sequence_id, [contacts[0]])  # resurrected

    events = await feed(tenant)
    listed = (await tenant.get(f"/v1/sequences/{sequence_id}/contacts", params={"limit": 100})).json()["data"]
    rows = {row["contact"]["id"]: row for row in listed}
    assert [e["type"] for e in events] == ["sequence_contact.added"] * 3 + [
        "sequence_contact.removed",
        "sequence_contact.added",
    ]
    first_adds = events[:3]
    assert {e["data"]["contactId"] for e in first_adds} == set(contacts)
    for event in first_adds:
        row = rows[event["data"]["contactId"]]
        assert event["data"] == {
            "sequenceId": sequence_id,
            "sequenceContactId": row["id"],
            "contactId": row["contact"]["id"],
            "assignedToWorkspaceMembershipId": row["assignedToWorkspaceMembershipId"],
            "status": row["status"],
            "resurrected": False,
        }
    assert events[3]["data"] == {
        "sequenceId": sequence_id,
        "sequenceContactId": rows[contacts[0]]["id"],
        "contactId": contacts[0],
    }
    assert events[4]["data"]["resurrected"] is True
    assert events[4]["data"]["sequenceContactId"] == rows[contacts[0]]["id"]
    assert len({e["id"] for e in events}) == 5
    assert all(e["timestamp"].endswith("Z") and len(e["timestamp"]) == 24 for e in events)


async def test_an_opencx_add_records_its_contacts_added(tenants) -> None:
    tenant = await tenants.create()
    body = {"name": "C", "creatorId": tenant.om(0), "assignedToIds": [tenant.om(0)], "isContinuous": True}
    sequence_id = (await tenant.post("/v1/sequences", json=body)).json()["id"]
    response = await tenant.post(
        f"/opencx/sequences/{sequence_id}/contacts",
        json={"contacts": [{"email": "new.person@example.com", "phone_number": "0612345678"}, {"phone_number": "0698765432"}]},
    )
    assert response.status_code == 200, response.text
    events = await feed(tenant)
    listed = (await tenant.get(f"/v1/sequences/{sequence_id}/contacts")).json()["data"]
    assert [e["type"] for e in events] == ["sequence_contact.added"] * 2
    assert {e["data"]["sequenceContactId"] for e in events} == {row["id"] for row in listed}
    assert {e["data"]["assignedToWorkspaceMembershipId"] for e in events} == {tenant.wm(0)}


async def test_deleting_a_contact_or_a_sequence_removes_its_contacts(tenants) -> None:
    tenant = await tenants.create()
    contacts = await tenant.contacts(3)
    first, second = await tenant.sequence(), await tenant.sequence()
    await add(tenant, first, contacts)
    await add(tenant, second, contacts[:1])
    assert (await tenant.delete(f"/v1/contacts/{contacts[0]}")).status_code == 204
    after_contact = await feed(tenant)
    removals = [e["data"] for e in after_contact if e["type"] == "sequence_contact.removed"]
    assert sorted((r["sequenceId"], r["contactId"]) for r in removals) == sorted(
        [(first, contacts[0]), (second, contacts[0])]
    )
    assert (await tenant.delete(f"/v1/sequences/{first}")).status_code == 204
    removals = [e["data"] for e in (await feed(tenant))[len(after_contact) :]]
    assert sorted(r["contactId"] for r in removals) == sorted(contacts[1:])
    assert {r["sequenceId"] for r in removals} == {first}


async def test_calls_record_their_events_as_get_shows_them_and_statuses_move(tenants) -> None:
    tenant = await tenants.create()
    contacts = await tenant.contacts(1)
    sequence_id = await tenant.sequence(contact_ids=contacts)
    created = await tenant.post("/v1/calls", json={"sequenceId": sequence_id, "contactId": contacts[0], "status": "RINGING"})
    assert created.status_code == 201, created.text
    call_id = created.json()["id"]
    moved = await tenant.patch(f"/v1/calls/{call_id}", json={"status": "VOICEMAIL"})
    assert moved.status_code == 200, moved.text
    shown = (await tenant.get(f"/v1/calls/{call_id}")).json()

    events = await feed(tenant)
    assert [e["type"] for e in events] == [
        "sequence_contact.added",
        "call.created",
        "sequence_contact.status_changed",
        "call.updated",
        "sequence_contact.status_changed",
    ]
    assert events[1]["data"] == created.json()
    assert events[3]["data"] == shown
    enrolment = (await tenant.get(f"/v1/sequences/{sequence_id}/contacts")).json()["data"][0]
    assert events[0]["data"]["status"] is None
    assert events[2]["data"] == {
        "sequenceId": sequence_id,
        "sequenceContactId": enrolment["id"],
        "contactId": contacts[0],
        "previousStatus": None,
        "status": "RUNNING",
    }
    assert events[4]["data"]["previousStatus"] == "RUNNING"
    assert events[4]["data"]["status"] == enrolment["status"] == "RESPONDER"


async def test_an_add_records_its_events_in_a_constant_number_of_statements(tenants, database) -> None:
    tenant = await tenants.create()
    contacts = await tenant.contacts(101)
    # An endpoint, so that deliveries are written too.
    hook = await tenant.post("/v1/webhooks", json={"url": "https://93.184.215.14/hook"})
    assert hook.status_code == 201, hook.text
    counts, removals = [], []
    for batch in (contacts[:1], contacts[1:101]):
        sequence_id = await tenant.sequence()
        with count_statements(database.engine) as counter:
            await add(tenant, sequence_id, batch)
        counts.append(counter.count)
        with count_statements(database.engine) as counter:
            removed = await tenant.delete(f"/v1/sequences/{sequence_id}/contacts", json={"contactIds": batch})
        assert removed.status_code == 200, removed.text
        removals.append(counter.count)
    assert counts[0] == counts[1]
    assert removals[0] == removals[1]
    assert len([e for e in await feed(tenant) if e["type"] == "sequence_contact.added"]) == 101
    deliveries = await tenant.get(f"/v1/webhooks/{hook.json()['id']}/deliveries", params={"limit": 1})
    assert deliveries.json()["total"] == 202


async def test_a_change_that_rolls_back_records_no_event(tenants, monkeypatch) -> None:
    tenant = await tenants.create()
    contacts = await tenant.contacts(2)
    sequence_id = await tenant.sequence()
    record = outbox.record

    async def record_then_fail(session, events, **kwargs):  # noqa: ANN001, ANN202
        await record(session, events, **kwargs)
        raise ValidationFailed("refused after the events were written", at=("contacts",))

    monkeypatch.setattr(outbox, "record", record_then_fail)
    response = await tenant.post(f"/v1/sequences/{sequence_id}/contacts", json={"contacts": [{"contactId": c} for c in contacts]})
    monkeypatch.undo()
    assert response.status_code == 400, response.text
    assert await feed(tenant) == []
    await add(tenant, sequence_id, contacts)
    assert len(await feed(tenant)) == 2


async def test_the_feed_pages_through_everything_in_order_within_the_scope(tenants) -> None:
    tenant = await tenants.create(workspaces=2)
    other = await tenants.create()
    first_only = Tenant(tenant.client, tenant.organization_id, await tenant.key_for([tenant.workspace_ids[0]]), tenant.workspace_ids, tenant.members, "")
    contacts = await tenant.contacts(7)
    second_ws = await tenant.contacts(2, workspace_index=1)
    sequence_id = await tenant.sequence(contact_ids=contacts[:3])
    await add(tenant, sequence_id, contacts[3:])
    await add(tenant, await tenant.sequence(workspace_index=1), second_ws)
    await add(other, await other.sequence(), await other.contacts(2))

    whole = await feed(tenant, limit=1000)
    paged = await feed(tenant, limit=2)
    assert paged == whole
    assert len(whole) == 9
    assert sorted(e["data"]["contactId"] for e in whole[7:]) == sorted(second_ws)
    assert [e["id"] for e in await feed(first_only, limit=3)] == [e["id"] for e in whole[:7]]
    assert {e["data"]["contactId"] for e in await feed(other)}.isdisjoint(contacts + second_ws)
    # Another organization's cursor names nothing here.
    foreign = (await feed(other))[0]["id"]
    response = await tenant.get("/v1/events", params={"after": foreign})
    assert response.status_code == 400
    assert "after" in response.json()["error"]["message"]
    response = await tenant.get("/v1/events", params={"after": str(uuid.uuid4()), "limit": 5})
    assert response.status_code == 400


@pytest.mark.parametrize("limit", ["0", "1001", "x"])
async def test_a_bad_feed_limit_is_a_400(tenants, limit: str) -> None:
    tenant = await tenants.create()
    response = await tenant.get("/v1/events", params={"limit": limit})
    assert response.status_code == 400


async def test_the_feed_shows_an_event_once_its_transaction_has_surely_ended(database) -> None:
    import asyncio

    import httpx

    from relance.api.app import create_app
    from tests.conftest import make_settings
    from tests.factory import TenantFactory

    app = create_app(make_settings(database, event_feed_settle_s=1.0), database=database)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://relance.test") as client:
        tenant = await TenantFactory(client).create()
        await tenant.sequence(contact_ids=await tenant.contacts(2))
        assert (await tenant.get("/v1/events")).json() == {"data": [], "next": None}
        await asyncio.sleep(1.1)
        assert len(await feed(tenant)) == 2


async def test_events_purge_deletes_old_events_with_their_deliveries(tenants, database, monkeypatch) -> None:
    import asyncio
    import json
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update
    from typer.testing import CliRunner

    from relance.cli import app
    from relance.db.models_webhooks import Event

    tenant = await tenants.create()
    hook = await tenant.post("/v1/webhooks", json={"url": "https://93.184.215.14/hook"})
    contacts = await tenant.contacts(3)
    await tenant.sequence(contact_ids=contacts)
    recorded = await feed(tenant)
    old = [uuid.UUID(e["id"]) for e in recorded[:2]]
    async with database.unscoped_session() as session:
        await session.execute(
            update(Event).where(Event.id.in_(old)).values(created_at=datetime.now(UTC) - timedelta(days=31))
        )
    monkeypatch.setenv("RELANCE_DATABASE_URL", database.url)
    result = await asyncio.to_thread(CliRunner().invoke, app, ["events", "purge"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"deleted": 2, "retentionDays": 30}
    assert [e["id"] for e in await feed(tenant)] == [recorded[2]["id"]]
    log = (await tenant.get(f"/v1/webhooks/{hook.json()['id']}/deliveries")).json()
    assert [d["eventId"] for d in log["data"]] == [recorded[2]["id"]]


async def test_pause_resume_and_finish_record_their_events(tenants) -> None:
    tenant = await tenants.create()
    contacts = await tenant.contacts(3)
    sequence_id = await tenant.sequence(contact_ids=contacts)
    base = f"/v1/sequences/{sequence_id}/contacts"
    paused = await tenant.post(f"{base}/pause", json={"contactIds": contacts[:2], "until": "2030-01-01T00:00:00Z"})
    assert paused.json() == {"paused": 2}, paused.text
    assert (await tenant.post(f"{base}/pause", json={"contactIds": contacts[:2]})).json() == {"paused": 0}
    assert (await tenant.post(f"{base}/resume", json={"contactIds": contacts[:1]})).json() == {"resumed": 1}
    finished = await tenant.post(f"{base}/finish", json={"contactIds": contacts, "reason": "bought"})
    assert finished.json() == {"finished": 3}, finished.text

    events = [e for e in await feed(tenant) if e["type"] != "sequence_contact.added"]
    listed = (await tenant.get(base, params={"limit": 100})).json()["data"]
    enrolment = {row["contact"]["id"]: row["id"] for row in listed}

    def shape(contact: str, **more: object) -> dict:
        return {"sequenceId": sequence_id, "sequenceContactId": enrolment[contact], "contactId": contact, **more}

    # One batch's events come in no particular order among themselves.
    assert [e["type"] for e in events] == ["sequence_contact.paused"] * 2 + [
        "sequence_contact.resumed"
    ] + ["sequence_contact.finished"] * 3
    key = lambda data: data["contactId"]  # noqa: E731
    assert sorted((e["data"] for e in events[:2]), key=key) == sorted(
        (shape(c, pausedUntil="2030-01-01T00:00:00.000Z") for c in contacts[:2]), key=key
    )
    assert events[2]["data"] == shape(contacts[0])
    assert sorted((e["data"] for e in events[3:]), key=key) == sorted(
        (shape(c, exitReason="bought") for c in contacts), key=key
    )


async def test_a_contact_that_connects_is_finished_with_an_event(tenants) -> None:
    tenant = await tenants.create()
    [contact] = await tenant.contacts(1)
    sequence_id = await tenant.sequence(contact_ids=[contact])
    call = await tenant.post("/v1/calls", json={"sequenceId": sequence_id, "contactId": contact, "status": "CONNECTED"})
    assert call.status_code == 201, call.text
    finished = [e for e in await feed(tenant) if e["type"] == "sequence_contact.finished"]
    assert [e["data"]["exitReason"] for e in finished] == ["connected"]
    assert finished[0]["data"]["contactId"] == contact
