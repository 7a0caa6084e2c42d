"""Authentication of /v1 (API keys, subscription, plan) and per-organization rate limits."""

import asyncio
import json
import math
import os
import secrets
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pydantic
import pytest

from relance.api.app import create_app
from relance.settings import Settings, parse_rate_limits
from relance.plans import DEFAULT_RATE_LIMITS, Plan
from tests.conftest import make_settings
from tests.factory import ADMIN, TenantFactory

ENDPOINT = "/v1/sequences"
RATE_HEADERS = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset")


def assert_unauthorized(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "status"}
    assert body["error"]["code"] == "UNAUTHORIZED"
    assert body["error"]["status"] == 401
    assert isinstance(body["error"]["message"], str) and body["error"]["message"].strip()


def assert_error(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"code", "message", "status"}
    assert error["code"] == code
    assert error["status"] == status
    assert isinstance(error["message"], str) and error["message"].strip()
    return error


# --- authentication ---------------------------------------------------------------------


async def test_valid_key_is_accepted_and_bearer_scheme_is_case_insensitive(tenants) -> None:
    tenant = await tenants.create()
    for scheme in ("Bearer", "bearer", "BEARER"):
        response = await tenants.client.get(ENDPOINT, headers={"Authorization": f"{scheme} {tenant.key}"})
        assert response.status_code == 200, (scheme, response.text)
        assert response.json()["total"] == 0


async def test_missing_authorization_is_401(client) -> None:
    assert_unauthorized(await client.get(ENDPOINT))


@pytest.mark.parametrize("value", ["Bearer", "Bearer ", "Bearer    "], ids=["bare", "space", "spaces"])
async def test_bearer_without_token_is_401(client, value) -> None:
    assert_unauthorized(await client.get(ENDPOINT, headers={"Authorization": value}))


@pytest.mark.parametrize("scheme", ["Basic", "Token", "ApiKey", ""], ids=["basic", "token", "apikey", "none"])
async def test_non_bearer_scheme_is_401_even_with_a_valid_key(tenants, scheme) -> None:
    tenant = await tenants.create()
    value = f"{scheme} {tenant.key}".strip()
    response = await tenants.client.get(ENDPOINT, headers={"Authorization": value})
    assert_unauthorized(response)
    # The same key under the bearer scheme works: the scheme alone made the difference.
    assert (await tenant.get(ENDPOINT)).status_code == 200


@pytest.mark.parametrize(
    "key",
    [
        "sk_live_short",
        "pk_live_" + "a" * 40,
        "sk_prod_" + "a" * 40,
        "sk_live_" + "a" * 31,
        "sk_live_" + "a" * 39 + "!",
    ],
    ids=["short", "pk-prefix", "unknown-mode", "31-chars", "bad-char"],
)
async def test_malformed_key_is_401(client, key) -> None:
    assert_unauthorized(await client.get(ENDPOINT, headers={"Authorization": f"Bearer {key}"}))


@pytest.mark.parametrize("mode", ["live", "test"])
async def test_well_formed_unknown_key_is_401(client, mode) -> None:
    key = f"sk_{mode}_{secrets.token_urlsafe(32)}"
    assert_unauthorized(await client.get(ENDPOINT, headers={"Authorization": f"Bearer {key}"}))


async def test_key_that_differs_by_one_character_is_401(tenants) -> None:
    tenant = await tenants.create()
    last = tenant.key[-1]
    tampered = tenant.key[:-1] + ("A" if last != "A" else "B")
    response = await tenants.client.get(ENDPOINT, headers={"Authorization": f"Bearer {tampered}"})
    assert_unauthorized(response)


async def test_revoked_key_is_401_from_the_next_request_on(tenants) -> None:
    tenant = await tenants.create()
    other_key = await tenant.key_for(None)
    assert (await tenant.get(ENDPOINT)).status_code == 200
    revoked = await tenants.client.delete(f"/admin/v1/api-keys/{tenant.api_key_id}", headers=ADMIN)
    assert revoked.status_code == 204, revoked.text
    assert_unauthorized(await tenant.get(ENDPOINT))
    # Revoking twice is a no-op; the organization's other key keeps working.
    again = await tenants.client.delete(f"/admin/v1/api-keys/{tenant.api_key_id}", headers=ADMIN)
    assert again.status_code == 204, again.text
    assert_unauthorized(await tenant.get(ENDPOINT))
    other = await tenants.client.get(ENDPOINT, headers={"Authorization": f"Bearer {other_key}"})
    assert other.status_code == 200, other.text


async def test_revoking_an_unknown_key_is_404(client) -> None:
    response = await client.delete(f"/admin/v1/api-keys/{uuid.uuid4()}", headers=ADMIN)
    assert_error(response, 404, "NOT_FOUND")


async def test_every_v1_route_requires_a_key(tenants) -> None:
    tenant = await tenants.create()
    sequence_id = await tenant.sequence()
    for method, path, body in [
        ("GET", ENDPOINT, None),
        ("POST", ENDPOINT, {"name": "x", "creatorId": tenant.om(0), "assignedToIds": []}),
        ("GET", f"{ENDPOINT}/{sequence_id}", None),
        ("PATCH", f"{ENDPOINT}/{sequence_id}", {"name": "renamed"}),
        ("DELETE", f"{ENDPOINT}/{sequence_id}", None),
        ("GET", f"{ENDPOINT}/{sequence_id}/contacts", None),
    ]:
        response = await tenants.client.request(method, path, json=body)
        assert_unauthorized(response)
    # Nothing of the above went through: the sequence is still there, unrenamed.
    still = await tenant.get(f"{ENDPOINT}/{sequence_id}")
    assert still.status_code == 200
    assert still.json()["name"] == "Test sequence"
    assert (await tenant.get(ENDPOINT)).json()["total"] == 1


# --- subscription and plan --------------------------------------------------------------


async def test_inactive_subscription_is_403_subscription_required(tenants) -> None:
    tenant = await tenants.create(plan="EXPERT", status="INACTIVE")
    assert_error(await tenant.get(ENDPOINT), 403, "SUBSCRIPTION_REQUIRED")


async def test_free_plan_is_403_plan_not_eligible(tenants) -> None:
    tenant = await tenants.create(plan="FREE", status="ACTIVE")
    assert_error(await tenant.get(ENDPOINT), 403, "PLAN_NOT_ELIGIBLE")


@pytest.mark.parametrize("plan", ["STARTER", "INTERMÉDIAIRE", "INTERMEDIAIRE", "EXPERT"])
async def test_paid_plans_are_accepted(tenants, plan) -> None:
    tenant = await tenants.create(plan=plan, status="ACTIVE")
    response = await tenant.get(ENDPOINT)
    assert response.status_code == 200, response.text
    assert response.json()["data"] == []


async def test_plan_and_subscription_changes_apply_to_the_next_request(tenants) -> None:
    tenant = await tenants.create(plan="STARTER")
    path = f"/organizations/{tenant.organization_id}"
    assert (await tenant.get(ENDPOINT)).status_code == 200
    await tenants.admin("PATCH", path, {"subscriptionStatus": "INACTIVE"})
    assert_error(await tenant.get(ENDPOINT), 403, "SUBSCRIPTION_REQUIRED")
    await tenants.admin("PATCH", path, {"subscriptionStatus": "ACTIVE", "plan": "FREE"})
    assert_error(await tenant.get(ENDPOINT), 403, "PLAN_NOT_ELIGIBLE")
    await tenants.admin("PATCH", path, {"plan": "INTERMÉDIAIRE"})
    assert (await tenant.get(ENDPOINT)).status_code == 200


# --- rate limits ------------------------------------------------------------------------


@asynccontextmanager
async def limited(database, **overrides: object) -> AsyncIterator[tuple[httpx.AsyncClient, TenantFactory]]:  # noqa: ANN001
    """A dedicated app (and so a fresh in-memory budget) with its own settings."""
    app = create_app(make_settings(database, **overrides), database=database)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://relance.test") as client:
        yield client, TenantFactory(client)


def rate_headers(response: httpx.Response) -> tuple[int, int, int]:
    for name in RATE_HEADERS:
        assert name in response.headers, (name, response.status_code, dict(response.headers))
        assert response.headers[name].isdigit(), (name, response.headers[name])
    return tuple(int(response.headers[name]) for name in RATE_HEADERS)  # type: ignore[return-value]


def assert_reset_within_a_minute(reset: int, before: float, after: float) -> None:
    # An integer Unix timestamp, in the future, no further than one minute away.
    assert math.floor(before) <= reset <= math.ceil(after) + 60, (before, reset, after)
    assert reset >= before - 1


async def test_headers_count_down_on_success_and_error_then_429(database) -> None:
    async with limited(database, rate_limits='{"EXPERT": 3}') as (client, factory):
        tenant = await factory.create(plan="EXPERT")
        resets = []
        before = time.time()
        ok = await tenant.get(ENDPOINT)
        assert ok.status_code == 200
        limit, remaining, reset = rate_headers(ok)
        assert (limit, remaining) == (3, 2)
        resets.append(reset)

        missing = await tenant.get(f"{ENDPOINT}/{uuid.uuid4()}")
        assert_error(missing, 404, "NOT_FOUND")
        limit, remaining, reset = rate_headers(missing)
        assert (limit, remaining) == (3, 1)
        resets.append(reset)

        invalid = await tenant.get(f"{ENDPOINT}?limit=0")
        assert_error(invalid, 400, "VALIDATION_ERROR")
        limit, remaining, reset = rate_headers(invalid)
        assert (limit, remaining) == (3, 0)
        resets.append(reset)
        after = time.time()

        for reset in resets:
            assert_reset_within_a_minute(reset, before, after)
        assert max(resets) - min(resets) <= 1  # one fixed window

        for _ in range(2):  # refused requests stay refused
            refused = await tenant.get(ENDPOINT)
            error = assert_error(refused, 429, "RATE_LIMITED")
            assert "3" in error["message"]
            limit, remaining, reset = rate_headers(refused)
            assert (limit, remaining) == (3, 0)
            assert_reset_within_a_minute(reset, before, time.time())
            retry_after = refused.headers.get("retry-after")
            assert retry_after is not None and retry_after.isdigit(), retry_after
            # Seconds until the window resets, rounded up once: at most the 60 s window.
            assert 1 <= int(retry_after) <= 60
            assert int(retry_after) <= reset - math.floor(before) + 1


async def test_refused_write_is_not_performed(database) -> None:
    async with limited(database, rate_limits='{"EXPERT": 2}') as (client, factory):
        tenant = await factory.create(plan="EXPERT")
        assert (await tenant.get(ENDPOINT)).json()["total"] == 0
        assert (await tenant.get(ENDPOINT)).status_code == 200
        refused = await tenant.post(
            ENDPOINT, json={"name": "late", "creatorId": tenant.om(0), "assignedToIds": [tenant.om(0)]}
        )
        assert_error(refused, 429, "RATE_LIMITED")
    # A fresh app has a fresh budget: the refused POST created nothing.
    async with limited(database) as (other_client, _):
        listing = await other_client.get(ENDPOINT, headers=tenant.headers)
        assert listing.status_code == 200
        assert listing.json()["total"] == 0


@pytest.mark.parametrize(
    ("plan", "expected"), [("STARTER", 100), ("INTERMÉDIAIRE", 100), ("EXPERT", 5)]
)
async def test_plans_left_out_keep_their_default_limit(database, plan, expected) -> None:
    async with limited(database, rate_limits='{"EXPERT": 5}') as (client, factory):
        tenant = await factory.create(plan=plan)
        response = await tenant.get(ENDPOINT)
        assert response.status_code == 200
        limit, remaining, _ = rate_headers(response)
        assert (limit, remaining) == (expected, expected - 1)


async def test_default_limits_without_configuration(database) -> None:
    async with limited(database, rate_limits=None) as (client, factory):
        for plan, expected in (("STARTER", 100), ("INTERMEDIAIRE", 100), ("EXPERT", 1000)):
            tenant = await factory.create(plan=plan, members=1)
            limit, remaining, _ = rate_headers(await tenant.get(ENDPOINT))
            assert (limit, remaining) == (expected, expected - 1), plan


async def test_organizations_have_separate_budgets(database) -> None:
    async with limited(database, rate_limits='{"EXPERT": 3}') as (client, factory):
        first = await factory.create(members=1)
        second = await factory.create(members=1)
        for expected in (2, 1, 0):
            assert rate_headers(await first.get(ENDPOINT))[1] == expected
        assert_error(await first.get(ENDPOINT), 429, "RATE_LIMITED")
        response = await second.get(ENDPOINT)
        assert response.status_code == 200
        assert rate_headers(response)[:2] == (3, 2)
        assert_error(await first.get(ENDPOINT), 429, "RATE_LIMITED")


async def test_keys_of_one_organization_share_its_budget(database) -> None:
    async with limited(database, rate_limits='{"EXPERT": 3}') as (client, factory):
        tenant = await factory.create(members=1)
        other_headers = {"Authorization": f"Bearer {await tenant.key_for(None)}"}
        assert rate_headers(await tenant.get(ENDPOINT))[1] == 2
        assert rate_headers(await client.get(ENDPOINT, headers=other_headers))[1] == 1
        assert rate_headers(await tenant.get(ENDPOINT))[1] == 0
        assert_error(await client.get(ENDPOINT, headers=other_headers), 429, "RATE_LIMITED")


async def test_unauthenticated_responses_carry_no_rate_limit_headers(database) -> None:
    async with limited(database, rate_limits='{"EXPERT": 3}') as (client, factory):
        tenant = await factory.create(members=1)
        unknown = f"sk_live_{secrets.token_urlsafe(32)}"
        for headers in ({}, {"Authorization": f"Bearer {unknown}"}, {"Authorization": "Bearer sk_live_short"}):
            response = await client.get(ENDPOINT, headers=headers)
            assert_unauthorized(response)
            for name in RATE_HEADERS:
                assert name not in response.headers, (name, headers)
        # A control: the authenticated request of the same app does carry them.
        assert rate_headers(await tenant.get(ENDPOINT))[:2] == (3, 2)


async def test_redis_budget_is_shared_across_processes(database) -> None:
    redis_url = os.environ.get("RELANCE_TEST_REDIS_URL")
    if not redis_url:
        pytest.skip("RELANCE_TEST_REDIS_URL is not set")
    async with limited(database, rate_limits='{"EXPERT": 5}', redis_url=redis_url) as (client, factory):
        tenant = await factory.create(plan="EXPERT", members=1)  # a fresh organization: fresh Redis keys
        assert rate_headers(await tenant.get(ENDPOINT))[:2] == (5, 4)
        assert rate_headers(await tenant.get(ENDPOINT))[:2] == (5, 3)

        script = textwrap.dedent(
            """
            import asyncio, json, sys
            from uuid import UUID
            from relance.ratelimit import RateLimiter
            from relance.plans import Plan

            async def main():
                limiter = RateLimiter(per_minute={Plan.EXPERT: 5}, redis_url=sys.argv[1])
                budgets = [
                    await limiter.consume(organization_id=UUID(sys.argv[2]), plan=Plan.EXPERT)
                    for _ in range(2)
                ]
                print(json.dumps([[b.limit, b.remaining, b.allowed] for b in budgets]))

            asyncio.run(main())
            """
        )
        result = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-c", script, redis_url, tenant.organization_id],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        # The other process saw the two requests spent here.
        assert json.loads(result.stdout.strip().splitlines()[-1]) == [[5, 2, True], [5, 1, True]]

        last = await tenant.get(ENDPOINT)
        assert last.status_code == 200
        assert rate_headers(last)[:2] == (5, 0)
        refused = await tenant.get(ENDPOINT)
        assert_error(refused, 429, "RATE_LIMITED")
        assert rate_headers(refused)[:2] == (5, 0)
        assert refused.headers["retry-after"].isdigit()


# --- settings (no database) -------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "not json",
        "{",
        "[1, 2]",
        '"EXPERT"',
        "42",
        "null",
        '{"GOLD": 10}',
        '{"": 10}',
        '{"EXPERT": 0}',
        '{"EXPERT": -5}',
        '{"EXPERT": 1.5}',
        '{"EXPERT": 10.0}',
        '{"EXPERT": "10"}',
        '{"EXPERT": true}',
        '{"EXPERT": null}',
        '{"STARTER": 10, "EXPERT": 0}',
    ],
)
def test_parse_rate_limits_rejects_bad_values(raw) -> None:
    with pytest.raises(ValueError, match="RELANCE_RATE_LIMITS"):
        parse_rate_limits(raw)


@pytest.mark.parametrize("raw", ["not json", "[1]", '{"GOLD": 1}', '{"EXPERT": 0}', '{"EXPERT": 2.5}'])
def test_settings_reject_bad_rate_limits(raw) -> None:
    with pytest.raises(pydantic.ValidationError, match="RELANCE_RATE_LIMITS"):
        Settings(rate_limits=raw)


def test_settings_reject_bad_rate_limits_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("RELANCE_RATE_LIMITS", '{"EXPERT": -1}')
    with pytest.raises(pydantic.ValidationError, match="RELANCE_RATE_LIMITS"):
        Settings()
    monkeypatch.setenv("RELANCE_RATE_LIMITS", '{"EXPERT": 42}')
    assert Settings().plan_rate_limits[Plan.EXPERT] == 42


def test_parse_rate_limits_accepts_the_accented_plan_name() -> None:
    assert parse_rate_limits('{"INTERMÉDIAIRE": 7}') == {Plan.INTERMEDIAIRE: 7}
    assert parse_rate_limits('{"STARTER": 3, "EXPERT": 100000}') == {Plan.STARTER: 3, Plan.EXPERT: 100000}


def test_settings_overlay_configured_limits_on_the_defaults() -> None:
    limits = Settings(rate_limits='{"INTERMÉDIAIRE": 7}').plan_rate_limits
    assert limits[Plan.INTERMEDIAIRE] == 7
    assert limits[Plan.STARTER] == DEFAULT_RATE_LIMITS[Plan.STARTER] == 100
    assert limits[Plan.EXPERT] == DEFAULT_RATE_LIMITS[Plan.EXPERT] == 1000
    assert Settings(rate_limits=None).plan_rate_limits == DEFAULT_RATE_LIMITS


async def test_authentication_reads_the_key_its_organization_and_workspaces_in_one_statement(
    tenants, database
) -> None:
    from relance.db.engine import count_statements
    from relance.tenancy import service as tenancy

    tenant = await tenants.create(workspaces=2)
    async with database.unscoped_session(write=False) as session:
        with count_statements(database.engine) as counter:
            scope = await tenancy.authenticate(session, raw_key=tenant.key)
    assert counter.count == 1, counter.statements
    assert sorted(map(str, scope.workspace_ids)) == sorted(tenant.workspace_ids)
