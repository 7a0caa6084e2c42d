"""Every list item is bounded, whatever the history behind it: at most the latest
``LATEST_CALLS`` calls (with ``callCount`` for the rest) and ``MAX_TAGS_PER_CONTACT`` tags,
so that the largest page has a documented size (README, "Bounds") and building it never
holds the event loop for long."""

import asyncio
import time
import uuid
from datetime import timedelta

import orjson
import pytest
from sqlalchemy import insert, select

from relance.calls.repository import LATEST_CALLS
from relance.db.models import Call
from relance.tags.service import MAX_TAGS_PER_CONTACT
from tests.recount import drift

# The README's bound for the largest page (limit=100) of the list operation.
LARGEST_PAGE_BYTES = 2_000_000
HISTORY = LATEST_CALLS + 15  # calls per contact, more than an item shows


async def _tags(tenant, count: int) -> list[str]:
    ids = []
    for i in range(count):
        response = await tenant.post("/v1/tags", json={"label": f"{i:02d}-" + "t" * 60})
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    return ids


async def test_a_contact_carries_at_most_the_cap_of_tags_whatever_the_requests(tenants, database) -> None:
    tenant = await tenants.create()
    [contact] = await tenant.contacts(1)
    sequence_id = await tenant.sequence(contact_ids=[contact])
    tags = await _tags(tenant, MAX_TAGS_PER_CONTACT + 1)
    path = f"/v1/sequences/{sequence_id}/contacts/{contact}/tags"

    first, rest = tags[: MAX_TAGS_PER_CONTACT - 10], tags[MAX_TAGS_PER_CONTACT - 10 :]
    assert (await tenant.post(path, json={"tagIds": first})).status_code in (200, 201)
    # A second request that would go past the cap is refused whole: nothing is added.
    refused = await tenant.post(path, json={"tagIds": rest})
    assert refused.status_code == 400, refused.text
    assert refused.json()["error"]["code"] == "VALIDATION_ERROR"
    assert "tagIds" in refused.text and str(MAX_TAGS_PER_CONTACT) in refused.text
    # One PUT of more than the cap is refused; one of exactly the cap is taken.
    assert (await tenant.put(path, json={"tagIds": tags})).status_code == 400
    [item] = (await tenant.get(f"/v1/sequences/{sequence_id}/contacts")).json()["data"]
    assert {t["id"] for t in item["tags"]} == set(first)
    assert (await tenant.put(path, json={"tagIds": tags[:MAX_TAGS_PER_CONTACT]})).status_code in (200, 201)
    [item] = (await tenant.get(f"/v1/sequences/{sequence_id}/contacts")).json()["data"]
    assert len(item["tags"]) == MAX_TAGS_PER_CONTACT
    assert await drift(database, [sequence_id]) == {}


async def test_concurrent_tag_requests_cannot_pass_the_cap_together(tenants, database, backend) -> None:
    tenant = await tenants.create()
    [contact] = await tenant.contacts(1)
    sequence_id = await tenant.sequence(contact_ids=[contact])
    tags = await _tags(tenant, MAX_TAGS_PER_CONTACT + 10)
    path = f"/v1/sequences/{sequence_id}/contacts/{contact}/tags"
    halves = [tags[: MAX_TAGS_PER_CONTACT // 2 + 5], tags[MAX_TAGS_PER_CONTACT // 2 + 5 :]]
    answers = await asyncio.gather(*(tenant.post(path, json={"tagIds": h}) for h in halves))
    assert sorted(a.status_code for a in answers)[1] == 400, [a.text for a in answers]
    [item] = (await tenant.get(f"/v1/sequences/{sequence_id}/contacts")).json()["data"]
    assert len(item["tags"]) <= MAX_TAGS_PER_CONTACT
    assert await drift(database, [sequence_id]) == {}


async def _long_history(database, tenant, sequence_id: str, contacts: list[str]) -> None:
    """One call per contact through the API (so that each status is the rule's), then older
    copies of it, written directly: a history longer than an item shows."""
    for contact in contacts:
        response = await tenant.post(
            "/v1/calls", json={"sequenceId": sequence_id, "contactId": contact, "status": "NO_ANSWER"}
        )
        assert response.status_code == 201, response.text
    async with database.unscoped_session() as session:
        calls = (await session.scalars(select(Call).where(Call.sequence_id == uuid.UUID(sequence_id)))).all()
        copies = [
            {
                "id": uuid.uuid4(),
                "workspace_id": call.workspace_id,
                "sequence_id": call.sequence_id,
                "contact_id": call.contact_id,
                "phone_number_id": call.phone_number_id,
                "workspace_membership_id": call.workspace_membership_id,
                "status": call.status,
                "created_at": call.created_at - timedelta(minutes=n),
                "updated_at": call.created_at - timedelta(minutes=n),
            }
            for call in calls
            for n in range(1, HISTORY)
        ]
        await session.execute(insert(Call), copies)


@pytest.mark.parametrize("limit", [100])
async def test_the_largest_page_is_bounded_and_the_loop_stays_free(tenants, database, client, limit) -> None:
    tenant = await tenants.create()
    # Contacts as large as the API takes: long names, the most numbers, a long email.
    contacts = []
    for start in range(0, limit, 50):
        items = [
            {
                "firstName": "F" * 255,
                "lastName": "L" * 255,
                "company": "C" * 255,
                "email": f"{start + i}-" + "e" * 200 + "@example.com",
                "phoneNumbers": [f"+33 6 12 34 {start + i:02d} {n:02d}" for n in range(20)],
            }
            for i in range(50)
        ]
        response = await tenant.post("/v1/contacts/bulk", json={"contacts": items})
        assert response.status_code == 201, response.text
        contacts += [c["id"] for c in response.json()["data"]]
    sequence_id = await tenant.sequence(contact_ids=contacts)
    tags = await _tags(tenant, MAX_TAGS_PER_CONTACT)
    for contact in contacts:
        response = await tenant.put(f"/v1/sequences/{sequence_id}/contacts/{contact}/tags", json={"tagIds": tags})
        assert response.status_code in (200, 201), response.text
    await _long_history(database, tenant, sequence_id, contacts)

    async def page() -> bytes:
        response = await tenant.get(f"/v1/sequences/{sequence_id}/contacts", params={"limit": limit})
        assert response.status_code == 200, response.text
        return response.content

    async def healthz_while(task: asyncio.Task) -> float:
        """The slowest /healthz answer, asked for every millisecond while ``task`` runs in
        the same event loop: whatever holds the loop shows in the answer it delays."""
        slowest = 0.0
        while not task.done():
            started = time.perf_counter()
            await asyncio.sleep(0.001)  # /healthz alone never yields to the page
            assert (await client.get("/healthz")).status_code == 200
            slowest = max(slowest, time.perf_counter() - started)
        return slowest

    await page()  # warm: the statements' first compilation is not the page's cost
    # A page that holds the loop holds it every time; a busy machine's pauses come and go:
    # the best of three tries.
    waits = []
    for _ in range(3):
        listing = asyncio.create_task(page())
        waits.append(await healthz_while(listing))
        body = await listing
        if waits[-1] < 0.1:
            break
    slowest = min(waits)
    assert len(body) <= LARGEST_PAGE_BYTES, len(body)
    items = orjson.loads(body)["data"]
    assert len(items) == limit
    for item in items:
        assert len(item["calls"]) == LATEST_CALLS
        assert item["callCount"] == HISTORY
        assert len(item["tags"]) == MAX_TAGS_PER_CONTACT
        created = [c["createdAt"] for c in item["calls"]]
        assert created == sorted(created, reverse=True)  # the latest, newest first
    assert slowest < 0.1, f"/healthz waited {slowest * 1000:.0f} ms behind the page"


async def test_a_plain_read_and_a_small_page_never_leave_the_event_loop(
    tenants, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker thread is for work that would hold the loop; for a read of a few rows the
    hop there and back costs more than the work."""
    import anyio.to_thread

    tenant = await tenants.create()
    contacts = await tenant.contacts(3)
    sequence_id = await tenant.sequence(contact_ids=contacts)
    hops: list[object] = []
    original = anyio.to_thread.run_sync

    async def counting(func, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        hops.append(func)
        return await original(func, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counting)
    for path in (f"/v1/sequences/{sequence_id}", f"/v1/sequences/{sequence_id}/contacts"):
        response = await tenant.get(path)
        assert response.status_code == 200, response.text
    assert hops == []
