"""/v1/webhooks: endpoints saved, listed, changed, deleted, their secrets, their scope, the
URLs refused, and the delivery log, replay and test event as the API shows them."""

import base64
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from relance.api.app import create_app
from tests.conftest import make_settings
from tests.factory import Tenant, TenantFactory

PUBLIC = "https://93.184.215.14/hook"  # a public address: no resolver needed


@pytest.fixture(scope="session")
def private_app(database):  # noqa: ANN001, ANN201
    """The app as an operator runs it with RELANCE_WEBHOOK_ALLOW_PRIVATE=1."""
    return create_app(make_settings(database, webhook_allow_private=True), database=database)


@pytest.fixture
async def private_tenants(private_app) -> AsyncIterator[TenantFactory]:  # noqa: ANN001
    transport = httpx.ASGITransport(app=private_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://relance.test") as client:
        yield TenantFactory(client)


async def create(tenant: Tenant, **body: object) -> dict:
    response = await tenant.post("/v1/webhooks", json={"url": PUBLIC, **body})
    assert response.status_code == 201, response.text
    return response.json()


async def test_a_webhook_is_created_with_its_secret_shown_once(tenants) -> None:
    tenant = await tenants.create()
    created = await create(tenant, description="CRM sync")
    assert created["secret"].startswith("whsec_")
    assert len(base64.b64decode(created["secret"].removeprefix("whsec_"))) >= 24
    assert created["events"] == sorted(
        ["sequence_contact.added", "sequence_contact.removed", "sequence_contact.status_changed",
         "sequence_contact.paused", "sequence_contact.resumed", "sequence_contact.finished",
         "call.created", "call.updated"]
    )
    assert created["workspaceId"] == tenant.workspace_id
    assert created["disabledAt"] is None and created["disabledReason"] is None
    shown = (await tenant.get(f"/v1/webhooks/{created['id']}")).json()
    assert "secret" not in shown
    assert shown == {k: v for k, v in created.items() if k != "secret"}
    listed = (await tenant.get("/v1/webhooks")).json()
    assert listed["total"] == 1 and listed["data"] == [shown]
    second = await create(tenant, events=["call.updated"])
    assert second["secret"] != created["secret"]
    assert second["events"] == ["call.updated"]


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"events": ["call.updated", "call.exploded"]}, "events[1]"),
        ({"events": []}, "events"),
        ({"events": ["webhook.test"]}, "events[0]"),
        ({"url": "ftp://93.184.215.14/"}, "url"),
        ({"url": "not a url"}, "url"),
        ({"url": "http://127.0.0.1:8000/hook"}, "url"),
        ({"url": "http://10.1.2.3/hook"}, "url"),
        ({"url": "http://169.254.169.254/latest/meta-data"}, "url"),
        ({"url": "http://[::1]/hook"}, "url"),
        ({"url": "http://localhost/hook"}, "url"),
        ({"url": PUBLIC, "workspaceId": "123e4567-e89b-12d3-a456-426614174000"}, "workspaceId"),
    ],
)
async def test_a_bad_webhook_is_a_400_naming_what_is_wrong(tenants, body: dict, where: str) -> None:
    tenant = await tenants.create()
    response = await tenant.post("/v1/webhooks", json={"url": PUBLIC, **body})
    assert response.status_code == 400, response.text
    assert where in response.json()["error"]["message"]
    if where == "events[1]":
        assert "call.exploded" in response.json()["error"]["message"]
    assert (await tenant.get("/v1/webhooks")).json()["total"] == 0


async def test_private_urls_are_accepted_when_the_operator_allows_them(private_tenants) -> None:
    tenant = await private_tenants.create()
    created = await create(tenant, url="http://127.0.0.1:9/hook")
    assert created["url"] == "http://127.0.0.1:9/hook"


async def test_patch_changes_disables_and_enables_again(tenants) -> None:
    tenant = await tenants.create()
    created = await create(tenant)
    path = f"/v1/webhooks/{created['id']}"
    changed = await tenant.patch(path, json={"events": ["call.created"], "description": None, "enabled": False})
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["events"] == ["call.created"] and body["description"] is None
    assert body["disabledReason"] == "manual" and body["disabledAt"] is not None
    assert (await tenant.patch(path, json={"url": "http://127.0.0.1/"})).status_code == 400
    assert (await tenant.patch(path, json={"url": None})).status_code == 400
    again = (await tenant.patch(path, json={"enabled": True})).json()
    assert again["disabledAt"] is None and again["disabledReason"] is None
    assert again["url"] == PUBLIC


async def test_rotation_shows_a_new_secret_once(tenants) -> None:
    tenant = await tenants.create()
    created = await create(tenant)
    rotated = await tenant.post(f"/v1/webhooks/{created['id']}/rotate-secret")
    assert rotated.status_code == 200, rotated.text
    assert rotated.json()["secret"].startswith("whsec_")
    assert rotated.json()["secret"] != created["secret"]


async def test_delete_then_404(tenants) -> None:
    tenant = await tenants.create()
    created = await create(tenant)
    path = f"/v1/webhooks/{created['id']}"
    assert (await tenant.delete(path)).status_code == 204
    for method, suffix in [("GET", ""), ("DELETE", ""), ("POST", "/test"), ("POST", "/rotate-secret"), ("GET", "/deliveries")]:
        assert (await tenant.request(method, path + suffix)).status_code == 404


async def test_another_workspace_or_organization_sees_no_webhook(tenants) -> None:
    tenant = await tenants.create(workspaces=2)
    created = await create(tenant, workspaceId=tenant.workspace_ids[1])
    first_only = Tenant(tenant.client, tenant.organization_id, await tenant.key_for([tenant.workspace_ids[0]]), tenant.workspace_ids, tenant.members, "")
    other = await tenants.create()
    for outsider in (first_only, other):
        path = f"/v1/webhooks/{created['id']}"
        assert (await outsider.get(path)).status_code == 404
        assert (await outsider.patch(path, json={"enabled": False})).status_code == 404
        assert (await outsider.post(path + "/replay", json={"since": "2020-01-01T00:00:00Z"})).status_code == 404
        assert (await outsider.get("/v1/webhooks")).json()["total"] == 0
    assert (await tenant.get(f"/v1/webhooks/{created['id']}")).status_code == 200
    # A workspace is required when the key reaches two.
    assert (await tenant.post("/v1/webhooks", json={"url": PUBLIC})).status_code == 400


async def test_the_log_shows_pending_deliveries_and_replay_counts_none_pending(tenants) -> None:
    tenant = await tenants.create()
    created = await create(tenant, events=["sequence_contact.added"])
    contacts = await tenant.contacts(3)
    await tenant.sequence(contact_ids=contacts)
    test = await tenant.post(f"/v1/webhooks/{created['id']}/test")
    assert test.status_code == 202 and test.json() == {"queued": 1}
    log = (await tenant.get(f"/v1/webhooks/{created['id']}/deliveries")).json()
    assert log["total"] == 4
    assert [d["eventType"] for d in log["data"]] == ["webhook.test"] + ["sequence_contact.added"] * 3
    assert {d["status"] for d in log["data"]} == {"pending"}
    assert all(d["attempts"] == 0 and d["lastAttemptAt"] is None and d["nextAttemptAt"] for d in log["data"])
    events = (await tenant.get("/v1/events")).json()["data"]
    assert {d["eventId"] for d in log["data"]} == {e["id"] for e in events}
    assert events[-1]["data"] == {"webhookId": created["id"]}
    assert (await tenant.get(f"/v1/webhooks/{created['id']}/deliveries", params={"status": "failed"})).json()["total"] == 0
    assert (await tenant.get(f"/v1/webhooks/{created['id']}/deliveries", params={"status": "lost"})).status_code == 400
    since = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    replay = await tenant.post(f"/v1/webhooks/{created['id']}/replay", json={"since": since, "onlyFailed": False})
    assert replay.status_code == 202 and replay.json() == {"queued": 0}
    assert (await tenant.post(f"/v1/webhooks/{created['id']}/replay", json={"since": "2020-01-01T00:00:00"})).status_code == 400
