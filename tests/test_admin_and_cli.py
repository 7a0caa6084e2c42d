"""/admin/v1 provisioning, and the ``relance`` command line."""

import asyncio
import concurrent.futures
import json
import os
import re
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest

from relance.api.app import create_app
from relance.tenancy.database import Database
from relance.settings import Settings
from tests.conftest import GENEROUS_LIMITS, make_settings
from tests.factory import ADMIN, ADMIN_TOKEN

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
LIVE_KEY = re.compile(r"^sk_live_[A-Za-z0-9_-]{32,}$")
TEST_KEY = re.compile(r"^sk_test_[A-Za-z0-9_-]{32,}$")


def is_uuid(value: object) -> bool:
    try:
        return str(uuid.UUID(str(value))) == value
    except ValueError:
        return False


async def admin(client: httpx.AsyncClient, method: str, path: str, body: dict | None = None) -> httpx.Response:
    return await client.request(method, f"/admin/v1{path}", json=body, headers=ADMIN)


async def new_org(client: httpx.AsyncClient, plan: str = "EXPERT", status: str = "ACTIVE") -> dict:
    response = await admin(client, "POST", "/organizations", {"name": "Org", "plan": plan, "subscriptionStatus": status})
    assert response.status_code == 201, response.text
    return response.json()


async def new_workspace(client: httpx.AsyncClient, organization_id: str, name: str = "WS") -> dict:
    response = await admin(client, "POST", f"/organizations/{organization_id}/workspaces", {"name": name})
    assert response.status_code == 201, response.text
    return response.json()


async def new_key(client: httpx.AsyncClient, organization_id: str, workspace_ids: list[str] | None = None, mode: str = "live") -> dict:
    response = await admin(
        client,
        "POST",
        f"/organizations/{organization_id}/api-keys",
        {"name": "key", "mode": mode, "workspaceIds": workspace_ids},
    )
    assert response.status_code == 201, response.text
    return response.json()


async def as_key(client: httpx.AsyncClient, key: str, method: str = "GET", path: str = "/v1/workspaces", **kwargs) -> httpx.Response:
    return await client.request(method, path, headers={"Authorization": f"Bearer {key}"}, **kwargs)


def assert_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert body["error"]["status"] == status
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]


# --- organizations ---------------------------------------------------------------------


async def test_create_organization(client) -> None:
    response = await admin(client, "POST", "/organizations", {"name": "  Acme  ", "plan": "STARTER", "subscriptionStatus": "ACTIVE"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"id", "name", "plan", "subscriptionStatus", "createdAt"}
    assert is_uuid(body["id"])
    assert (body["name"], body["plan"], body["subscriptionStatus"]) == ("Acme", "STARTER", "ACTIVE")
    assert TIMESTAMP.match(body["createdAt"])


async def test_accented_plan_is_accepted_and_stored_unaccented(client) -> None:
    org = await new_org(client, plan="INTERMÉDIAIRE")
    assert org["plan"] == "INTERMEDIAIRE"
    # Stored unaccented: a PATCH that changes something else answers the stored plan.
    patched = await admin(client, "PATCH", f"/organizations/{org['id']}", {"subscriptionStatus": "ACTIVE"})
    assert patched.status_code == 200, patched.text
    assert patched.json()["plan"] == "INTERMEDIAIRE"
    # And the plan is eligible for the API.
    workspace = await new_workspace(client, org["id"])
    key = await new_key(client, org["id"])
    listed = await as_key(client, key["key"])
    assert listed.status_code == 200, listed.text
    assert [w["id"] for w in listed.json()["data"]] == [workspace["id"]]
    again = await admin(client, "PATCH", f"/organizations/{org['id']}", {"plan": "STARTER"})
    assert again.json()["plan"] == "STARTER"
    accented = await admin(client, "PATCH", f"/organizations/{org['id']}", {"plan": "INTERMÉDIAIRE"})
    assert accented.status_code == 200
    assert accented.json()["plan"] == "INTERMEDIAIRE"


@pytest.mark.parametrize(
    "body",
    [
        {"name": "X", "plan": "GOLD", "subscriptionStatus": "ACTIVE"},
        {"name": "X", "plan": "EXPERT", "subscriptionStatus": "PAUSED"},
        {"name": "", "plan": "EXPERT", "subscriptionStatus": "ACTIVE"},
        {"plan": "EXPERT", "subscriptionStatus": "ACTIVE"},
        {"name": "X", "plan": "EXPERT", "subscriptionStatus": "ACTIVE", "extra": 1},
    ],
    ids=["bad-plan", "bad-status", "empty-name", "no-name", "unknown-field"],
)
async def test_bad_organization_bodies_are_400(client, body) -> None:
    assert_error(await admin(client, "POST", "/organizations", body), 400, "VALIDATION_ERROR")


async def test_update_organization(client) -> None:
    org = await new_org(client, plan="STARTER")
    response = await admin(client, "PATCH", f"/organizations/{org['id']}", {"plan": "EXPERT"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body == {**org, "plan": "EXPERT"}
    status = (await admin(client, "PATCH", f"/organizations/{org['id']}", {"subscriptionStatus": "INACTIVE"})).json()
    assert status == {**org, "plan": "EXPERT", "subscriptionStatus": "INACTIVE"}
    nothing = await admin(client, "PATCH", f"/organizations/{org['id']}", {})
    assert nothing.json() == status
    for organization_id in (str(uuid.uuid4()), "not-a-uuid"):
        assert_error(await admin(client, "PATCH", f"/organizations/{organization_id}", {"plan": "EXPERT"}), 404, "NOT_FOUND")
    assert_error(await admin(client, "PATCH", f"/organizations/{org['id']}", {"plan": "GOLD"}), 400, "VALIDATION_ERROR")
    assert_error(await admin(client, "PATCH", f"/organizations/{org['id']}", {"name": "X"}), 400, "VALIDATION_ERROR")


async def test_subscription_and_plan_gate_the_api(client) -> None:
    org = await new_org(client, plan="EXPERT")
    await new_workspace(client, org["id"])
    key = (await new_key(client, org["id"]))["key"]
    path = f"/organizations/{org['id']}"
    assert (await as_key(client, key)).status_code == 200
    await admin(client, "PATCH", path, {"subscriptionStatus": "INACTIVE"})
    assert_error(await as_key(client, key), 403, "SUBSCRIPTION_REQUIRED")
    assert_error(await as_key(client, key, "POST", "/v1/contacts", json={"firstName": "A"}), 403, "SUBSCRIPTION_REQUIRED")
    await admin(client, "PATCH", path, {"subscriptionStatus": "ACTIVE"})
    assert (await as_key(client, key)).status_code == 200
    await admin(client, "PATCH", path, {"plan": "FREE"})
    assert_error(await as_key(client, key), 403, "PLAN_NOT_ELIGIBLE")
    assert_error(await as_key(client, key, "GET", "/v1/contacts"), 403, "PLAN_NOT_ELIGIBLE")
    await admin(client, "PATCH", path, {"plan": "STARTER"})
    assert (await as_key(client, key)).status_code == 200


async def test_free_organization_created_as_such_is_not_eligible(client) -> None:
    org = await new_org(client, plan="FREE")
    await new_workspace(client, org["id"])
    assert_error(await as_key(client, (await new_key(client, org["id"]))["key"]), 403, "PLAN_NOT_ELIGIBLE")
    inactive = await new_org(client, plan="EXPERT", status="INACTIVE")
    await new_workspace(client, inactive["id"])
    assert_error(await as_key(client, (await new_key(client, inactive["id"]))["key"]), 403, "SUBSCRIPTION_REQUIRED")


# --- workspaces and members ------------------------------------------------------------


async def test_create_workspace(client) -> None:
    org = await new_org(client)
    response = await admin(client, "POST", f"/organizations/{org['id']}/workspaces", {"name": " Sales "})
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"id", "name", "organizationId", "createdAt"}
    assert is_uuid(body["id"])
    assert (body["name"], body["organizationId"]) == ("Sales", org["id"])
    assert TIMESTAMP.match(body["createdAt"])
    for organization_id in (str(uuid.uuid4()), "nope"):
        assert_error(await admin(client, "POST", f"/organizations/{organization_id}/workspaces", {"name": "X"}), 404, "NOT_FOUND")
    assert_error(await admin(client, "POST", f"/organizations/{org['id']}/workspaces", {"name": ""}), 400, "VALIDATION_ERROR")


async def test_create_member(client) -> None:
    org = await new_org(client)
    first = await new_workspace(client, org["id"], "A")
    second = await new_workspace(client, org["id"], "B")
    response = await admin(
        client,
        "POST",
        f"/organizations/{org['id']}/members",
        {
            "email": "  Jane.Doe@Example.COM ",
            "firstName": "Jane",
            "lastName": "Doe",
            "workspaceIds": [first["id"], second["id"], first["id"]],
        },
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"organizationMembershipId", "email", "firstName", "lastName", "workspaceMemberships"}
    assert is_uuid(body["organizationMembershipId"])
    assert (body["email"], body["firstName"], body["lastName"]) == ("jane.doe@example.com", "Jane", "Doe")
    assert [w["workspaceId"] for w in body["workspaceMemberships"]] == [first["id"], second["id"]]
    assert all(set(w) == {"id", "workspaceId"} and is_uuid(w["id"]) for w in body["workspaceMemberships"])
    # The workspace membership ids are those the API lists.
    key = (await new_key(client, org["id"]))["key"]
    members = (await as_key(client, key, "GET", f"/v1/workspaces/{second['id']}/members")).json()["data"]
    assert [(m["id"], m["organizationMembershipId"]) for m in members] == [
        (body["workspaceMemberships"][1]["id"], body["organizationMembershipId"])
    ]

    bare = await admin(client, "POST", f"/organizations/{org['id']}/members", {"email": "solo@example.com"})
    assert bare.status_code == 201, bare.text
    assert (bare.json()["firstName"], bare.json()["lastName"], bare.json()["workspaceMemberships"]) == (None, None, [])


async def test_duplicate_member_email_is_409_ignoring_case(client) -> None:
    org = await new_org(client)
    other = await new_org(client)
    path = f"/organizations/{org['id']}/members"
    assert (await admin(client, "POST", path, {"email": "rep@example.com"})).status_code == 201
    for email in ("rep@example.com", "REP@Example.com", " Rep@example.COM "):
        assert_error(await admin(client, "POST", path, {"email": email}), 409, "CONFLICT")
    # The same email in another organization is another person.
    assert (await admin(client, "POST", f"/organizations/{other['id']}/members", {"email": "Rep@Example.com"})).status_code == 201
    key = (await new_key(client, org["id"]))["key"]
    users = (await as_key(client, key, "GET", "/v1/users")).json()
    assert users["total"] == 1


async def test_bad_member_requests(client) -> None:
    org = await new_org(client)
    other = await new_org(client)
    foreign = await new_workspace(client, other["id"])
    path = f"/organizations/{org['id']}/members"
    assert_error(await admin(client, "POST", path, {"email": "x@example.com", "workspaceIds": [foreign["id"]]}), 400, "VALIDATION_ERROR")
    assert_error(await admin(client, "POST", path, {"email": "not-an-email"}), 400, "VALIDATION_ERROR")
    assert_error(await admin(client, "POST", path, {"email": "y@example.com", "role": "x"}), 400, "VALIDATION_ERROR")
    assert_error(await admin(client, "POST", f"/organizations/{uuid.uuid4()}/members", {"email": "z@example.com"}), 404, "NOT_FOUND")
    # The refused member was not created: the address is still free.
    assert (await admin(client, "POST", path, {"email": "x@example.com"})).status_code == 201


async def test_add_workspace_member(client) -> None:
    org = await new_org(client)
    other = await new_org(client)
    workspace = await new_workspace(client, org["id"])
    member = (await admin(client, "POST", f"/organizations/{org['id']}/members", {"email": "m@example.com"})).json()
    stranger = (await admin(client, "POST", f"/organizations/{other['id']}/members", {"email": "s@example.com"})).json()
    path = f"/workspaces/{workspace['id']}/members"
    response = await admin(client, "POST", path, {"organizationMembershipId": member["organizationMembershipId"]})
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"id", "workspaceId", "organizationMembershipId"}
    assert is_uuid(body["id"])
    assert (body["workspaceId"], body["organizationMembershipId"]) == (workspace["id"], member["organizationMembershipId"])
    again = await admin(client, "POST", path, {"organizationMembershipId": member["organizationMembershipId"]})
    assert_error(again, 409, "CONFLICT")
    assert_error(await admin(client, "POST", path, {"organizationMembershipId": stranger["organizationMembershipId"]}), 400, "VALIDATION_ERROR")
    assert_error(await admin(client, "POST", path, {"organizationMembershipId": str(uuid.uuid4())}), 400, "VALIDATION_ERROR")
    assert_error(
        await admin(client, "POST", f"/workspaces/{uuid.uuid4()}/members", {"organizationMembershipId": member["organizationMembershipId"]}),
        404,
        "NOT_FOUND",
    )
    key = (await new_key(client, org["id"]))["key"]
    listed = (await as_key(client, key, "GET", f"/v1/workspaces/{workspace['id']}/members")).json()
    assert [m["id"] for m in listed["data"]] == [body["id"]]


# --- API keys --------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["live", "test"])
async def test_create_api_key(client, mode) -> None:
    org = await new_org(client)
    workspace = await new_workspace(client, org["id"])
    response = await admin(client, "POST", f"/organizations/{org['id']}/api-keys", {"name": "CRM sync", "mode": mode})
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"id", "name", "key", "mode", "workspaceIds", "createdAt"}
    assert is_uuid(body["id"])
    assert (body["name"], body["mode"], body["workspaceIds"]) == ("CRM sync", mode, None)
    assert (LIVE_KEY if mode == "live" else TEST_KEY).match(body["key"]), body["key"]
    assert TIMESTAMP.match(body["createdAt"])
    second = await new_key(client, org["id"], mode=mode)
    assert second["key"] != body["key"] and second["id"] != body["id"]
    listed = await as_key(client, body["key"])
    assert listed.status_code == 200, listed.text
    assert [w["id"] for w in listed.json()["data"]] == [workspace["id"]]


async def test_bad_api_key_requests(client) -> None:
    org = await new_org(client)
    other = await new_org(client)
    foreign = await new_workspace(client, other["id"])
    path = f"/organizations/{org['id']}/api-keys"
    for body in (
        {"name": "k", "mode": "prod"},
        {"name": "k"},
        {"name": "", "mode": "live"},
        {"name": "k", "mode": "live", "workspaceIds": [foreign["id"]]},
        {"name": "k", "mode": "live", "workspaceIds": ["nope"]},
        {"name": "k", "mode": "live", "scopes": []},
    ):
        assert_error(await admin(client, "POST", path, body), 400, "VALIDATION_ERROR")
    assert_error(await admin(client, "POST", f"/organizations/{uuid.uuid4()}/api-keys", {"name": "k", "mode": "live"}), 404, "NOT_FOUND")


async def test_null_workspace_ids_reach_every_workspace_including_later_ones(client) -> None:
    org = await new_org(client)
    first = await new_workspace(client, org["id"], "A")
    everywhere = await new_key(client, org["id"], None)
    limited = await new_key(client, org["id"], [first["id"], first["id"]])
    assert everywhere["workspaceIds"] is None
    assert limited["workspaceIds"] == [first["id"]]
    later = await new_workspace(client, org["id"], "B")
    all_ids = {w["id"] for w in (await as_key(client, everywhere["key"])).json()["data"]}
    assert all_ids == {first["id"], later["id"]}
    assert [w["id"] for w in (await as_key(client, limited["key"])).json()["data"]] == [first["id"]]
    created = await as_key(client, everywhere["key"], "POST", "/v1/contacts", json={"workspaceId": later["id"]})
    assert created.status_code == 201, created.text
    refused = await as_key(client, limited["key"], "POST", "/v1/contacts", json={"workspaceId": later["id"]})
    assert_error(refused, 400, "VALIDATION_ERROR")


async def test_revoked_key_is_refused_on_the_next_request(client) -> None:
    org = await new_org(client)
    await new_workspace(client, org["id"])
    revoked = await new_key(client, org["id"])
    kept = await new_key(client, org["id"])
    assert (await as_key(client, revoked["key"])).status_code == 200
    response = await admin(client, "DELETE", f"/api-keys/{revoked['id']}")
    assert response.status_code == 204
    assert response.content == b""
    assert_error(await as_key(client, revoked["key"]), 401, "UNAUTHORIZED")
    assert_error(await as_key(client, revoked["key"], "GET", "/v1/contacts"), 401, "UNAUTHORIZED")
    assert (await as_key(client, kept["key"])).status_code == 200
    # Revoking twice is a no-op; unknown keys are 404.
    assert (await admin(client, "DELETE", f"/api-keys/{revoked['id']}")).status_code == 204
    assert_error(await as_key(client, revoked["key"]), 401, "UNAUTHORIZED")
    for key_id in (str(uuid.uuid4()), "nope"):
        assert_error(await admin(client, "DELETE", f"/api-keys/{key_id}"), 404, "NOT_FOUND")


# --- admin authentication --------------------------------------------------------------


def admin_calls(organization_id: str, workspace_id: str, member_id: str, key_id: str) -> list[tuple[str, str, dict | None]]:
    return [
        ("POST", "/admin/v1/organizations", {"name": "X", "plan": "EXPERT", "subscriptionStatus": "ACTIVE"}),
        ("PATCH", f"/admin/v1/organizations/{organization_id}", {"plan": "STARTER"}),
        ("POST", f"/admin/v1/organizations/{organization_id}/workspaces", {"name": "X"}),
        ("POST", f"/admin/v1/organizations/{organization_id}/members", {"email": f"{uuid.uuid4().hex}@example.com"}),
        ("POST", f"/admin/v1/workspaces/{workspace_id}/members", {"organizationMembershipId": member_id}),
        ("POST", f"/admin/v1/organizations/{organization_id}/api-keys", {"name": "k", "mode": "live"}),
        ("DELETE", f"/admin/v1/api-keys/{key_id}", None),
    ]


async def test_wrong_or_missing_admin_token_is_401(client) -> None:
    org = await new_org(client)
    workspace = await new_workspace(client, org["id"])
    member = (await admin(client, "POST", f"/organizations/{org['id']}/members", {"email": "m@example.com"})).json()
    key = await new_key(client, org["id"])
    bad_headers = [
        {},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": f"Bearer {ADMIN_TOKEN}x"},
        {"Authorization": f"Basic {ADMIN_TOKEN}"},
        {"Authorization": ADMIN_TOKEN},
        {"Authorization": f"Bearer {key['key']}"},
    ]
    for method, path, body in admin_calls(org["id"], workspace["id"], member["organizationMembershipId"], key["id"]):
        for headers in bad_headers:
            response = await client.request(method, path, json=body, headers=headers)
            assert_error(response, 401, "UNAUTHORIZED")
    # Nothing happened: the organization is unchanged and the key still works.
    unchanged = await admin(client, "PATCH", f"/organizations/{org['id']}", {})
    assert unchanged.json()["plan"] == "EXPERT"
    assert (await as_key(client, key["key"])).status_code == 200


@pytest.mark.parametrize("token", [None, ""], ids=["unset", "empty"])
async def test_admin_paths_do_not_exist_without_an_admin_token(client, database, token) -> None:
    org = await new_org(client)
    workspace = await new_workspace(client, org["id"])
    member = (await admin(client, "POST", f"/organizations/{org['id']}/members", {"email": "m@example.com"})).json()
    key = await new_key(client, org["id"])
    bare = create_app(make_settings(database, admin_token=token), database=database)
    transport = httpx.ASGITransport(app=bare, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://relance.test") as other:
        for method, path, body in admin_calls(org["id"], workspace["id"], member["organizationMembershipId"], key["id"]):
            for headers in ({}, ADMIN, {"Authorization": "Bearer anything"}):
                response = await other.request(method, path, json=body, headers=headers)
                assert_error(response, 404, "NOT_FOUND")
        # The tenant API of that app works as usual.
        assert (await as_key(other, key["key"])).status_code == 200
    # Nothing was done through the 404s: the key was not revoked, the plan not changed.
    assert (await as_key(client, key["key"])).status_code == 200
    assert (await admin(client, "PATCH", f"/organizations/{org['id']}", {})).json()["plan"] == "EXPERT"


# --- the command line ------------------------------------------------------------------


def cli_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELANCE_")}
    env["RELANCE_DATABASE_URL"] = f"sqlite:///{tmp_path / 'cli.db'}"
    env["PYTHONUTF8"] = "1"
    env.update(extra)
    return env


def relance(env: dict[str, str], *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "relance.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
        check=False,
    )


def ok_json(result: subprocess.CompletedProcess) -> dict:
    assert result.returncode == 0, (result.returncode, result.stdout, result.stderr)
    return json.loads(result.stdout)


def ask_app(tmp_path: Path, method: str, path: str, token: str, body: dict | None = None) -> httpx.Response:
    """Ask an in-process app over the CLI's database, on a thread with its own event loop."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"

    async def go() -> httpx.Response:
        database = Database(url)
        try:
            app = create_app(Settings(database_url=url, admin_token=ADMIN_TOKEN, rate_limits=GENEROUS_LIMITS), database=database)
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://relance.test") as c:
                response = await c.request(method, path, json=body, headers={"Authorization": f"Bearer {token}"})
                await response.aread()
                return response
        finally:
            await database.dispose()

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, go()).result(timeout=60)


def call_api(tmp_path: Path, key: str, path: str) -> httpx.Response:
    return ask_app(tmp_path, "GET", path, key)


def admin_api(tmp_path: Path, method: str, path: str, body: dict | None = None) -> dict:
    """The admin API's answer over the CLI's database, to set the CLI's output beside."""
    response = ask_app(tmp_path, method, f"/admin/v1{path}", ADMIN_TOKEN, body)
    assert response.status_code in (200, 201), response.text
    return response.json()


def test_cli_demo_json(tmp_path) -> None:
    demo = ok_json(relance(cli_env(tmp_path), "demo", "--json"))
    assert set(demo) == {"apiKey", "organizationId", "workspaceId", "members", "sequenceId", "contactIds"}
    assert TEST_KEY.match(demo["apiKey"]) or LIVE_KEY.match(demo["apiKey"])
    assert all(is_uuid(demo[k]) for k in ("organizationId", "workspaceId", "sequenceId"))
    assert len(demo["members"]) == 3
    for member in demo["members"]:
        assert set(member) == {"organizationMembershipId", "workspaceMembershipId", "email"}
        assert is_uuid(member["organizationMembershipId"]) and is_uuid(member["workspaceMembershipId"])
        assert "@" in member["email"]
    assert len({m["email"] for m in demo["members"]}) == 3
    assert demo["contactIds"] and all(is_uuid(c) for c in demo["contactIds"])
    assert len(set(demo["contactIds"])) == len(demo["contactIds"])

    # The printed tenant is the one stored, and its key works.
    workspaces = call_api(tmp_path, demo["apiKey"], "/v1/workspaces").json()
    assert [w["id"] for w in workspaces["data"]] == [demo["workspaceId"]]
    members = call_api(tmp_path, demo["apiKey"], f"/v1/workspaces/{demo['workspaceId']}/members").json()
    assert {(m["id"], m["organizationMembershipId"], m["email"]) for m in members["data"]} == {
        (m["workspaceMembershipId"], m["organizationMembershipId"], m["email"]) for m in demo["members"]
    }
    contacts = call_api(tmp_path, demo["apiKey"], "/v1/contacts?limit=100").json()
    assert contacts["total"] == len(demo["contactIds"])
    assert {c["id"] for c in contacts["data"]} == set(demo["contactIds"])
    sequence = call_api(tmp_path, demo["apiKey"], f"/v1/sequences/{demo['sequenceId']}").json()
    assert 0 < sequence["contactCount"] <= len(demo["contactIds"])


def test_cli_provisioning(tmp_path) -> None:
    env = cli_env(tmp_path)
    org = ok_json(relance(env, "admin", "create-org", "--name", "Cli Org", "--plan", "INTERMÉDIAIRE"))
    assert is_uuid(org["id"])
    assert (org["name"], org["plan"], org["subscriptionStatus"]) == ("Cli Org", "INTERMEDIAIRE", "ACTIVE")
    # The CLI prints what the admin API answers for the same organization, to the millisecond.
    assert TIMESTAMP.match(org["createdAt"])
    assert admin_api(tmp_path, "PATCH", f"/organizations/{org['id']}", {}) == org
    updated = ok_json(relance(env, "admin", "update-org", org["id"], "--plan", "EXPERT"))
    assert updated == {**org, "plan": "EXPERT"}
    assert admin_api(tmp_path, "PATCH", f"/organizations/{org['id']}", {}) == updated

    workspace = ok_json(relance(env, "admin", "create-workspace", org["id"], "--name", "Sales"))
    assert is_uuid(workspace["id"])
    assert (workspace["name"], workspace["organizationId"]) == ("Sales", org["id"])
    api_workspace = admin_api(tmp_path, "POST", f"/organizations/{org['id']}/workspaces", {"name": "Support"})
    assert set(workspace) == set(api_workspace)
    assert TIMESTAMP.match(workspace["createdAt"])

    member = ok_json(
        relance(env, "admin", "add-member", org["id"], "--email", "Rep@Example.com", "--first-name", "Rep", "--workspace", workspace["id"])
    )
    assert is_uuid(member["organizationMembershipId"])
    assert member["email"] == "rep@example.com"
    assert [w["workspaceId"] for w in member["workspaceMemberships"]] == [workspace["id"]]
    assert (member["firstName"], member["lastName"]) == ("Rep", None)
    api_member = admin_api(
        tmp_path, "POST", f"/organizations/{org['id']}/members", {"email": "api@example.com", "workspaceIds": [api_workspace["id"]]}
    )
    assert set(member) == set(api_member)
    assert [set(w) for w in member["workspaceMemberships"]] == [set(w) for w in api_member["workspaceMemberships"]]

    joined = ok_json(relance(env, "admin", "add-workspace-member", api_workspace["id"], member["organizationMembershipId"]))
    assert is_uuid(joined["id"])
    assert (joined["workspaceId"], joined["organizationMembershipId"]) == (api_workspace["id"], member["organizationMembershipId"])
    other = admin_api(tmp_path, "POST", f"/organizations/{org['id']}/members", {"email": "other@example.com"})
    api_joined = admin_api(
        tmp_path, "POST", f"/workspaces/{api_workspace['id']}/members", {"organizationMembershipId": other["organizationMembershipId"]}
    )
    assert set(joined) == set(api_joined)

    duplicate = relance(env, "admin", "add-member", org["id"], "--email", "REP@example.com")
    assert duplicate.returncode != 0
    assert "already exists" in duplicate.stderr

    key = ok_json(relance(env, "admin", "create-api-key", org["id"], "--name", "cli"))
    assert is_uuid(key["id"])
    assert LIVE_KEY.match(key["key"]), key["key"]
    assert (key["name"], key["mode"], key["workspaceIds"]) == ("cli", "live", None)
    assert set(key) == set(admin_api(tmp_path, "POST", f"/organizations/{org['id']}/api-keys", {"name": "api", "mode": "live"}))
    assert TIMESTAMP.match(key["createdAt"])
    limited = ok_json(relance(env, "admin", "create-api-key", org["id"], "--name", "ltd", "--mode", "test", "--workspace", workspace["id"]))
    assert TEST_KEY.match(limited["key"])
    assert limited["workspaceIds"] == [workspace["id"]]

    members = call_api(tmp_path, key["key"], f"/v1/workspaces/{workspace['id']}/members")
    assert members.status_code == 200, members.text
    assert [(m["id"], m["organizationMembershipId"]) for m in members.json()["data"]] == [
        (member["workspaceMemberships"][0]["id"], member["organizationMembershipId"])
    ]

    revoked = ok_json(relance(env, "admin", "revoke-api-key", key["id"]))
    assert revoked["id"] == key["id"] and revoked["revokedAt"].endswith("Z")
    assert set(revoked) == {"id", "revokedAt"} and TIMESTAMP.match(revoked["revokedAt"])
    refused = call_api(tmp_path, key["key"], "/v1/workspaces")
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "UNAUTHORIZED"
    assert call_api(tmp_path, limited["key"], "/v1/workspaces").status_code == 200

    unknown = relance(env, "admin", "revoke-api-key", str(uuid.uuid4()))
    assert unknown.returncode != 0
    bad_plan = relance(env, "admin", "create-org", "--name", "Bad", "--plan", "GOLD")
    assert bad_plan.returncode != 0
    assert bad_plan.stdout.strip() == ""

    assert ok_json(relance(env, "runs", "purge")) == {"deleted": 0, "retentionDays": 30}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("limits", ['{"EXPERT": "x"}', "not json", '{"GOLD": 10}'])
def test_cli_serve_refuses_bad_rate_limits(tmp_path, limits) -> None:
    env = cli_env(tmp_path, RELANCE_RATE_LIMITS=limits)
    try:
        result = relance(env, "serve", "--port", str(free_port()))  # a busy machine: 60 s
    except subprocess.TimeoutExpired:
        pytest.fail(f"serve started with RELANCE_RATE_LIMITS={limits!r} instead of refusing it")
    assert result.returncode != 0
    assert "RELANCE_RATE_LIMITS" in result.stderr
    assert "Traceback" not in result.stderr
