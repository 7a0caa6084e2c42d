"""The dispatcher against a real HTTP receiver on loopback: Standard Webhooks signatures,
retries on the schedule, 410, one message at a time per endpoint in order, tenancy,
replay, and URLs refused at delivery time."""

import asyncio
import re
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from http.server import ThreadingHTTPServer
from pathlib import Path

import httpx
import orjson
import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from relance.api.app import create_app
from relance.webhooks.dispatcher import Dispatcher
from tests.conftest import make_settings
from tests.factory import Tenant, TenantFactory
from tests.receiver import Receiver

SCHEDULE = "0,0.2,0.2"  # three attempts


@pytest.fixture(scope="session")
def private_app(database):  # noqa: ANN001, ANN201
    return create_app(make_settings(database, webhook_allow_private=True), database=database)


@pytest.fixture
async def tenants(private_app) -> AsyncIterator[TenantFactory]:  # noqa: ANN001
    transport = httpx.ASGITransport(app=private_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://relance.test") as client:
        yield TenantFactory(client)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


def dispatcher(database, **settings: object) -> Dispatcher:  # noqa: ANN001
    values: dict[str, object] = {
        "webhook_allow_private": True,
        "webhook_retry_schedule": SCHEDULE,
        "webhook_timeout_s": 2.0,
    } | settings
    return Dispatcher(database, make_settings(database, **values))


async def pump(sender: Dispatcher, until: Callable[[], bool], *, timeout_s: float = 15) -> None:
    """Run dispatcher rounds until ``until()`` holds, then let attempts under way end."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        await sender.round()
        if until():
            await sender.drain()
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the dispatcher did not get there in time")


async def pump_for(sender: Dispatcher, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        await sender.round()
        await asyncio.sleep(0.02)
    await sender.drain()


async def hook(tenant: Tenant, receiver: Receiver, path: str, **body: object) -> dict:
    response = await tenant.post("/v1/webhooks", json={"url": receiver.url(path), **body})
    assert response.status_code == 201, response.text
    return response.json()


async def log(tenant: Tenant, endpoint: dict) -> list[dict]:
    response = await tenant.get(f"/v1/webhooks/{endpoint['id']}/deliveries", params={"limit": 100})
    assert response.status_code == 200, response.text
    return response.json()["data"]


async def events(tenant: Tenant) -> list[dict]:
    return (await tenant.get("/v1/events", params={"limit": 1000})).json()["data"]


async def test_the_signature_verifies_with_standardwebhooks_and_both_secrets_after_a_rotation(tenants, receiver, database) -> None:
    tenant = await tenants.create()
    endpoint = await hook(tenant, receiver, "/sig")
    sender = dispatcher(database)
    try:
        assert (await tenant.post(f"/v1/webhooks/{endpoint['id']}/test")).status_code == 202
        await pump(sender, lambda: len(receiver.at("/sig")) == 1)
        got = receiver.at("/sig")[0]
        payload = Webhook(endpoint["secret"]).verify(got.body, got.headers)
        event = (await events(tenant))[-1]
        assert payload == event == orjson.loads(got.body)
        assert payload["type"] == "webhook.test" and payload["data"] == {"webhookId": endpoint["id"]}
        assert got.headers["webhook-id"] == event["id"]
        assert got.headers["content-type"] == "application/json"
        assert abs(int(got.headers["webhook-timestamp"]) - time.time()) < 60
        with pytest.raises(WebhookVerificationError):
            Webhook("whsec_" + "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB").verify(got.body, got.headers)
        tampered = got.body.replace(b"webhook.test", b"webhook.tost")
        with pytest.raises(WebhookVerificationError):
            Webhook(endpoint["secret"]).verify(tampered, got.headers)

        rotated = (await tenant.post(f"/v1/webhooks/{endpoint['id']}/rotate-secret")).json()
        await tenant.post(f"/v1/webhooks/{endpoint['id']}/test")
        await pump(sender, lambda: len(receiver.at("/sig")) == 2)
        after = receiver.at("/sig")[1]
        assert len(after.headers["webhook-signature"].split(" ")) == 2
        for secret in (endpoint["secret"], rotated["secret"]):
            assert Webhook(secret).verify(after.body, after.headers)["id"] == after.webhook_id
    finally:
        await sender.close()


async def test_two_500s_then_a_204_is_three_attempts_of_one_message(tenants, receiver, database) -> None:
    tenant = await tenants.create()
    endpoint = await hook(tenant, receiver, "/retry")
    receiver.script("/retry", [500, 500, 204])
    sender = dispatcher(database)
    try:
        await tenant.post(f"/v1/webhooks/{endpoint['id']}/test")
        await pump(sender, lambda: len(receiver.at("/retry")) == 3)
        await pump_for(sender, 0.3)
    finally:
        await sender.close()
    got = receiver.at("/retry")
    assert len(got) == 3 and len({r.webhook_id for r in got}) == 1
    [entry] = await log(tenant, endpoint)
    assert entry["status"] == "delivered" and entry["attempts"] == 3
    assert entry["lastStatusCode"] == 204 and entry["nextAttemptAt"] is None
    assert entry["eventId"] == got[0].webhook_id


async def test_a_receiver_that_never_answers_2xx_ends_failed_after_the_schedule(tenants, receiver, database) -> None:
    tenant = await tenants.create()
    endpoint = await hook(tenant, receiver, "/down")
    receiver.script("/down", [503] * 10)
    sender = dispatcher(database)
    try:
        await tenant.post(f"/v1/webhooks/{endpoint['id']}/test")
        await pump(sender, lambda: len(receiver.at("/down")) >= 3)
        await pump_for(sender, 0.6)  # no fourth attempt
    finally:
        await sender.close()
    assert len(receiver.at("/down")) == 3
    [entry] = await log(tenant, endpoint)
    assert entry["status"] == "failed" and entry["attempts"] == 3
    assert entry["lastStatusCode"] == 503 and entry["nextAttemptAt"] is None


async def test_a_timeout_is_a_failed_attempt_logged_with_its_error(tenants, database) -> None:
    tenant = await tenants.create()
    silent = await asyncio.start_server(lambda r, w: asyncio.sleep(5), "127.0.0.1", 0)
    port = silent.sockets[0].getsockname()[1]
    response = await tenant.post("/v1/webhooks", json={"url": f"http://127.0.0.1:{port}/"})
    endpoint = response.json()
    sender = dispatcher(database, webhook_timeout_s=0.3, webhook_retry_schedule="0")
    try:
        await tenant.post(f"/v1/webhooks/{endpoint['id']}/test")
        await pump_for(sender, 1.0)
    finally:
        await sender.close()
        silent.close()
    [entry] = await log(tenant, endpoint)
    assert entry["status"] == "failed" and entry["lastStatusCode"] is None
    assert "no answer within 0.3 s" in entry["lastError"]


async def test_410_disables_the_endpoint_until_it_is_enabled_again(tenants, receiver, database) -> None:
    tenant = await tenants.create()
    endpoint = await hook(tenant, receiver, "/gone")
    receiver.script("/gone", [410])
    sender = dispatcher(database)
    path = f"/v1/webhooks/{endpoint['id']}"
    try:
        await tenant.post(path + "/test")
        await pump(sender, lambda: len(receiver.at("/gone")) == 1)
        await pump_for(sender, 0.2)
        shown = (await tenant.get(path)).json()
        assert shown["disabledReason"] == "gone" and shown["disabledAt"] is not None
        await tenant.post(path + "/test")
        await pump_for(sender, 0.6)
        assert len(receiver.at("/gone")) == 1  # nothing while disabled
        entries = await log(tenant, endpoint)
        assert [e["status"] for e in entries] == ["pending", "failed"]
        assert entries[1]["lastStatusCode"] == 410 and entries[1]["attempts"] == 1
        assert len(await events(tenant)) == 2  # the feed still has both
        assert (await tenant.patch(path, json={"enabled": True})).status_code == 200
        await pump(sender, lambda: len(receiver.at("/gone")) == 2)
        assert receiver.at("/gone")[1].webhook_id == entries[0]["eventId"]
    finally:
        await sender.close()


async def test_an_endpoint_gets_its_messages_one_at_a_time_oldest_first(tenants, receiver, database) -> None:
    tenant = await tenants.create()
    endpoint = await hook(tenant, receiver, "/order", events=["sequence_contact.added", "sequence_contact.removed"])
    receiver.script("/order", [500])  # the first message fails once: the others wait for it
    contacts = await tenant.contacts(4)
    sequence_id = await tenant.sequence(contact_ids=contacts)
    await tenant.delete(f"/v1/sequences/{sequence_id}/contacts", json={"contactIds": contacts[:2]})
    sender = dispatcher(database, webhook_retry_schedule="0,0.3")
    try:
        await pump(sender, lambda: len(receiver.at("/order")) == 7)
    finally:
        await sender.close()
    recorded = [e["id"] for e in await events(tenant)]
    got = [r.webhook_id for r in receiver.at("/order")]
    assert got == [recorded[0], *recorded]


async def test_an_endpoint_receives_only_its_own_workspaces_events(tenants, receiver, database) -> None:
    tenant = await tenants.create(workspaces=2)
    other = await tenants.create()
    await hook(tenant, receiver, "/mine", workspaceId=tenant.workspace_ids[0])
    await hook(other, receiver, "/theirs")
    await hook(tenant, receiver, "/sibling", workspaceId=tenant.workspace_ids[1])
    await tenant.sequence(contact_ids=await tenant.contacts(3))
    await other.sequence(contact_ids=await other.contacts(2))
    sender = dispatcher(database)
    try:
        await pump(sender, lambda: len(receiver.at("/mine")) == 3 and len(receiver.at("/theirs")) == 2)
        await pump_for(sender, 0.3)
    finally:
        await sender.close()
    assert {r.webhook_id for r in receiver.at("/mine")} == {e["id"] for e in await events(tenant)}
    assert {r.webhook_id for r in receiver.at("/theirs")} == {e["id"] for e in await events(other)}
    assert receiver.at("/sibling") == []


async def test_replay_resends_exactly_the_messages_since_then(tenants, receiver, database) -> None:
    tenant = await tenants.create()
    endpoint = await hook(tenant, receiver, "/replay", events=["sequence_contact.added"])
    sequence_id = await tenant.sequence(contact_ids=await tenant.contacts(3))
    sender = dispatcher(database)
    try:
        await pump(sender, lambda: len(receiver.at("/replay")) == 3)
        await asyncio.sleep(0.01)
        since = datetime.now(UTC).isoformat()
        await asyncio.sleep(0.01)
        later = await tenant.contacts(2)
        receiver.script("/replay", [500, 500, 500])  # the first later message fails for good
        await tenant.post(f"/v1/sequences/{sequence_id}/contacts", json={"contacts": [{"contactId": c} for c in later]})
        await pump(sender, lambda: len(receiver.at("/replay")) == 7)
        await pump_for(sender, 0.2)
        recorded = [e["id"] for e in await events(tenant)]
        assert [e["status"] for e in await log(tenant, endpoint)].count("failed") == 1

        failed_only = await tenant.post(f"/v1/webhooks/{endpoint['id']}/replay", json={"since": since})
        assert failed_only.json() == {"queued": 1}
        await pump(sender, lambda: len(receiver.at("/replay")) == 8)
        everything = await tenant.post(f"/v1/webhooks/{endpoint['id']}/replay", json={"since": since, "onlyFailed": False})
        assert everything.status_code == 202 and everything.json() == {"queued": 2}
        await pump(sender, lambda: len(receiver.at("/replay")) == 10)
        await pump_for(sender, 0.3)
    finally:
        await sender.close()
    got = [r.webhook_id for r in receiver.at("/replay")]
    assert len(got) == 10
    assert set(got[7:]) == set(recorded[3:]) and got[7] == recorded[3]
    assert {e["status"] for e in await log(tenant, endpoint)} == {"delivered"}


async def test_a_private_url_is_refused_at_delivery_when_private_addresses_are_not_allowed(tenants, receiver, database) -> None:
    tenant = await tenants.create()
    endpoint = await hook(tenant, receiver, "/private")
    sender = dispatcher(database, webhook_allow_private=False, webhook_retry_schedule="0")
    try:
        await tenant.post(f"/v1/webhooks/{endpoint['id']}/test")
        await pump_for(sender, 0.5)
    finally:
        await sender.close()
    assert receiver.at("/private") == []
    [entry] = await log(tenant, endpoint)
    assert entry["status"] == "failed" and "non-public address" in entry["lastError"]


def readme_receiver() -> str:
    """The README's receiver example, as written."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme[readme.index("### Webhooks and the event feed\n") :]
    section = section[: section.index("\n### ", 1)]
    [code] = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    return code


async def test_the_readme_receiver_verifies_and_deduplicates_what_relance_sends(tenants, database) -> None:
    code = readme_receiver()
    serving = 'HTTPServer(("0.0.0.0", 8080), Receiver).serve_forever()\n'
    assert code.endswith(serving)
    namespace: dict = {}
    exec(code.removesuffix(serving), namespace)  # noqa: S102 - the README's own example
    server = ThreadingHTTPServer(("127.0.0.1", 0), namespace["Receiver"])
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    tenant = await tenants.create()
    endpoint = (await tenant.post("/v1/webhooks", json={"url": url})).json()
    namespace["SECRET"] = endpoint["secret"]
    sender = dispatcher(database)
    try:
        await tenant.post(f"/v1/webhooks/{endpoint['id']}/test")
        await pump(sender, lambda: len(namespace["seen"]) == 1)
        await pump_for(sender, 0.2)
        [entry] = await log(tenant, endpoint)
        assert entry["status"] == "delivered" and entry["lastStatusCode"] == 204
        assert namespace["seen"] == {entry["eventId"]}
        # Signed with another secret: refused, and so retried.
        namespace["SECRET"] = "whsec_" + "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB"
        await tenant.post(f"/v1/webhooks/{endpoint['id']}/test")
        await pump_for(sender, 0.3)
        assert [e["lastStatusCode"] for e in await log(tenant, endpoint)][0] == 400
    finally:
        await sender.close()
        server.shutdown()
        server.server_close()


async def test_a_backlog_goes_out_as_fast_as_the_receiver_answers_not_one_message_per_poll(
    tenants, receiver, database
) -> None:
    """An endpoint gets one message at a time: the dispatcher looks again as soon as an
    attempt ends, not a poll interval later, which would cap a backlog at one per poll."""
    tenant = await tenants.create()
    await hook(tenant, receiver, "/burst", events=["sequence_contact.added"])
    contacts = await tenant.contacts(12)
    await tenant.sequence(contact_ids=contacts)
    sender = dispatcher(database, webhook_poll_s=30.0)
    stop = asyncio.Event()
    running = asyncio.create_task(sender.run(stop))
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and len(receiver.at("/burst")) < 12:
            await asyncio.sleep(0.02)
    finally:
        stop.set()
        await asyncio.wait_for(running, 5)
        await sender.drain()
        await sender.close()
    recorded = [e["id"] for e in await events(tenant) if e["type"] == "sequence_contact.added"]
    assert [r.webhook_id for r in receiver.at("/burst")] == recorded


async def test_one_round_sends_an_endpoint_s_whole_due_backlog_in_order(tenants, receiver, database) -> None:
    """Each attempt that ends delivered claims its endpoint's next message in the
    transaction that records it, and sends it: one claim starts the whole backlog."""
    tenant = await tenants.create()
    await hook(tenant, receiver, "/run", events=["sequence_contact.added"])
    contacts = await tenant.contacts(12)
    await tenant.sequence(contact_ids=contacts)
    sender = dispatcher(database)
    try:
        assert await sender.round() >= 1
        await sender.drain()
    finally:
        await sender.close()
    recorded = [e["id"] for e in await events(tenant) if e["type"] == "sequence_contact.added"]
    assert len(recorded) == 12
    assert [r.webhook_id for r in receiver.at("/run")] == recorded


async def test_a_dispatcher_told_to_stop_claims_no_next_message(tenants, receiver, database) -> None:
    """Stopping (a worker's SIGTERM) lets the attempt under way end, and leaves the
    endpoint's next messages queued, unclaimed, for the next dispatcher."""
    tenant = await tenants.create()
    await hook(tenant, receiver, "/stopped", events=["sequence_contact.added"])
    await tenant.sequence(contact_ids=await tenant.contacts(5))
    receiver.delay_s = 0.3
    sender = dispatcher(database, webhook_poll_s=30.0)
    stop = asyncio.Event()
    running = asyncio.create_task(sender.run(stop))
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not receiver.arrived:
            await asyncio.sleep(0.01)
        stop.set()  # while the receiver holds the first attempt
        await asyncio.wait_for(running, 5)
        await sender.drain()
    finally:
        await sender.close()
    assert len(receiver.at("/stopped")) == 1
    later = dispatcher(database)
    try:
        await pump(later, lambda: len(receiver.at("/stopped")) == 5)
    finally:
        await later.close()
