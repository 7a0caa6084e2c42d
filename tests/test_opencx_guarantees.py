"""OpenCX: concurrency, spec conformance, constant statements, run retention."""

import asyncio
import os
import subprocess
import sys
import uuid
from datetime import timedelta

import jsonschema
from sqlalchemy import update

from relance.db.engine import count_statements
from relance.db.models import ContinuousRun
from relance.db.types import utcnow
from relance.opencx.service import purge_runs
from tests.factory import Tenant
from tests.spec import load


async def continuous_sequence(tenant: Tenant, **extra) -> str:  # noqa: ANN003
    sequence_id = await tenant.sequence()
    response = await tenant.patch(f"/v1/sequences/{sequence_id}", json={"isContinuous": True, **extra})
    assert response.status_code == 200 and response.json()["isContinuous"] is True
    return sequence_id


async def push(tenant: Tenant, sequence_id: str, items: list) -> dict:  # noqa: ANN001
    response = await tenant.post(f"/opencx/sequences/{sequence_id}/contacts", json={"contacts": items})
    assert response.status_code == 200, response.text
    run = await tenant.get(f"/opencx/runs/{response.json()['run_id']}")
    assert run.status_code == 200
    return run.json()


async def test_concurrent_requests_never_create_or_enrol_twice(tenants) -> None:
    tenant = await tenants.create()
    first, second = await continuous_sequence(tenant), await continuous_sequence(tenant)
    emails = [f"lead{i}@example.com" for i in range(15)]
    numbers = [f"+3361234{i:04d}" for i in range(15)]
    # The same leads, in different spellings and orders, pushed at once to both sequences.
    batches = [
        [{"email": e} for e in emails] + [{"phone_number": n} for n in numbers],
        [{"email": e.upper()} for e in reversed(emails)] + [{"phone_number": "0" + n[3:]} for n in numbers],
        [{"phone_number": n, "email": f"other{i}@example.com"} for i, n in enumerate(numbers)],
    ]
    runs = await asyncio.gather(*(push(tenant, s, b) for s in (first, second) for b in batches))
    assert all(r["counts"]["invalid"] == 0 for r in runs)

    contacts = (await tenant.get("/v1/contacts?limit=100")).json()
    assert contacts["total"] == 30  # 15 emails + 15 numbers, each created once
    for sequence_id in (first, second):
        listed = (await tenant.get(f"/v1/sequences/{sequence_id}/contacts?limit=100")).json()
        ids = [item["contact"]["id"] for item in listed["data"]]
        assert listed["total"] == len(ids) == len(set(ids)) == 30
        assert (await tenant.get(f"/v1/sequences/{sequence_id}")).json()["contactCount"] == 30
    created = sum(r["counts"]["created_and_added"] for r in runs)
    assert created == 30


async def test_responses_match_the_opencx_spec(tenants, client) -> None:
    spec = load("opencx-sequences.yaml")
    schemas = spec["components"]["schemas"]
    tenant = await tenants.create()
    sequence_id = await continuous_sequence(tenant)
    response = await tenant.post(f"/opencx/sequences/{sequence_id}/contacts", json={"contacts": [{"email": "a@b.io"}]})
    assert response.status_code == 200
    output = {k: v for k, v in schemas["AddContactsToSequenceOutput"].items() if not k.startswith("$")}
    jsonschema.validate(response.json(), output)
    assert uuid.UUID(response.json()["run_id"]).version == 4
    with_extra = {**response.json(), "extra": 1}
    try:
        jsonschema.validate(with_extra, output)
    except jsonschema.ValidationError:
        pass
    else:
        raise AssertionError("the output schema must refuse additional properties")
    # Error bodies follow its ErrorDto, required fields included.
    error_schema = {**schemas["ErrorDto"], "required": ["statusCode", "message", "error"]}
    for request in (
        client.post(f"/opencx/sequences/{sequence_id}/contacts", json={"contacts": [{"email": "a@b.io"}]}),
        tenant.post(f"/opencx/sequences/{uuid.uuid4()}/contacts", json={"contacts": [{"email": "a@b.io"}]}),
        tenant.post(f"/opencx/sequences/{sequence_id}/contacts", json={"contacts": []}),
    ):
        error = await request
        jsonschema.validate(error.json(), error_schema)
        assert error.json()["statusCode"] == error.status_code
    schema = (await client.get("/openapi.json")).json()
    operation = schema["paths"]["/opencx/sequences/{sequence_id}/contacts"]["post"]
    assert operation["operationId"] == "addContactsToSequence"
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    body = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
    assert body["properties"]["contacts"]["maxItems"] == 1000


async def test_statements_do_not_grow_with_the_batch(tenants, database) -> None:
    tenant = await tenants.create()
    sequence_id = await continuous_sequence(tenant)
    existing = await tenant.contacts(300)

    async def statements(items: list) -> int:  # noqa: ANN001
        with count_statements(database.engine) as counter:
            response = await tenant.post(f"/opencx/sequences/{sequence_id}/contacts", json={"contacts": items})
        assert response.status_code == 200, response.text
        return counter.count

    def mixed(n: int, offset: int) -> list:
        items = []
        for i in range(n):
            kind = i % 4
            if kind == 0:
                items.append({"id": existing[offset + i // 4]})
            elif kind == 1:
                items.append({"email": f"new{offset}-{i}@example.com"})
            elif kind == 2:
                items.append({"phone_number": f"+3361{offset:02d}{i:05d}"})
            else:
                items.append({"email": f"both{offset}-{i}@example.com", "phone_number": f"+3362{offset:02d}{i:05d}"})
        return items

    small = await statements(mixed(4, 0))
    large = await statements(mixed(1000, 1))
    assert large == small


async def test_purge_deletes_runs_past_retention(tenants, database) -> None:
    tenant = await tenants.create()
    sequence_id = await continuous_sequence(tenant)
    old = (await push(tenant, sequence_id, [{"email": "old@example.com"}]))["run_id"]
    recent = (await push(tenant, sequence_id, [{"email": "new@example.com"}]))["run_id"]
    async with database.unscoped_session() as session:
        await session.execute(
            update(ContinuousRun)
            .where(ContinuousRun.id == uuid.UUID(old))
            .values(created_at=utcnow() - timedelta(days=31))
        )
    async with database.unscoped_session() as session:
        deleted = await purge_runs(session, retention_days=30)
    assert deleted >= 1
    assert (await tenant.get(f"/opencx/runs/{old}")).status_code == 404
    assert (await tenant.get(f"/opencx/runs/{recent}")).status_code == 200


def test_cli_purge_reports_what_it_deleted(tmp_path) -> None:
    env = {**os.environ, "RELANCE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}", "RELANCE_RUN_RETENTION_DAYS": "7"}
    result = subprocess.run(
        [sys.executable, "-m", "relance.cli", "runs", "purge"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert '"deleted": 0' in result.stdout and '"retentionDays": 7' in result.stdout
