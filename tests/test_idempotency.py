"""``Idempotency-Key`` on POST: the same key and request within 24 hours replays the first
answer without doing it again; the key with another request is a 409; keys belong to the
organization; a request that failed keeps nothing."""

import asyncio
import os
import subprocess
import sys
import uuid
from datetime import timedelta

from sqlalchemy import func, select, update

from relance.db.idempotency import IdempotentRequest
from relance.db.models import Contact
from relance.db.types import utcnow
from relance.idempotency.service import purge
from tests.test_opencx import continuous

KEY = {"Idempotency-Key": "import-2026-12-01-0001"}


def _bulk(*emails: str) -> dict:
    return {"contacts": [{"firstName": "Ada", "lastName": "L", "email": e} for e in emails]}


async def _contacts_of(database, tenant) -> int:
    async with database.unscoped_session(write=False) as session:
        return await session.scalar(
            select(func.count()).select_from(Contact).where(
                Contact.workspace_id.in_([uuid.UUID(w) for w in tenant.workspace_ids])
            )
        )


async def test_the_same_request_again_replays_the_first_answer(tenants, database) -> None:
    tenant = await tenants.create()
    first = await tenant.post("/v1/contacts/bulk", json=_bulk("a@x.com", "b@x.com"), headers=KEY)
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    again = await tenant.post("/v1/contacts/bulk", json=_bulk("a@x.com", "b@x.com"), headers=KEY)
    assert again.status_code == 201
    assert again.content == first.content  # the same ids: nothing was created twice
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["content-type"] == first.headers["content-type"]
    assert await _contacts_of(database, tenant) == 2
    # Without the key, the same body is a new request.
    assert (await tenant.post("/v1/contacts/bulk", json=_bulk("c@x.com"))).status_code == 201
    assert await _contacts_of(database, tenant) == 3


async def test_the_key_with_another_request_is_a_conflict(tenants, database) -> None:
    tenant = await tenants.create()
    assert (await tenant.post("/v1/contacts/bulk", json=_bulk("a@x.com"), headers=KEY)).status_code == 201
    other_body = await tenant.post("/v1/contacts/bulk", json=_bulk("z@x.com"), headers=KEY)
    assert other_body.status_code == 409, other_body.text
    assert other_body.json()["error"]["code"] == "CONFLICT"
    assert "Idempotency-Key" in other_body.json()["error"]["message"]
    other_path = await tenant.post("/v1/contacts", json={"firstName": "A", "lastName": "L"}, headers=KEY)
    assert other_path.status_code == 409
    assert await _contacts_of(database, tenant) == 1


async def test_keys_belong_to_the_organization(tenants, database) -> None:
    tenant, other = await tenants.create(), await tenants.create()
    mine = await tenant.post("/v1/contacts/bulk", json=_bulk("a@x.com"), headers=KEY)
    theirs = await other.post("/v1/contacts/bulk", json=_bulk("a@x.com"), headers=KEY)
    assert theirs.status_code == 201 and "idempotent-replayed" not in theirs.headers
    assert theirs.json()["data"][0]["id"] != mine.json()["data"][0]["id"]
    # Another key of the same organization shares its keys.
    limited = await tenant.key_for([tenant.workspace_id])
    same_org = await tenant.client.post(
        "/v1/contacts/bulk", json=_bulk("a@x.com"), headers={**KEY, "Authorization": f"Bearer {limited}"}
    )
    assert same_org.headers.get("idempotent-replayed") == "true"
    assert await _contacts_of(database, tenant) == 1 and await _contacts_of(database, other) == 1


async def test_a_request_that_failed_keeps_nothing(tenants, database) -> None:
    tenant = await tenants.create()
    refused = await tenant.post("/v1/contacts/bulk", json={"contacts": [{"firstName": "A", "lastName": "L", "phoneNumbers": ["not a number"]}]}, headers=KEY)
    assert refused.status_code == 400
    # The key is free: the corrected request runs, and is the one kept.
    done = await tenant.post("/v1/contacts/bulk", json=_bulk("a@x.com"), headers=KEY)
    assert done.status_code == 201 and "idempotent-replayed" not in done.headers
    assert (await tenant.post("/v1/contacts/bulk", json=_bulk("a@x.com"), headers=KEY)).content == done.content


async def test_a_key_lives_24_hours(tenants, database) -> None:
    tenant = await tenants.create()
    first = await tenant.post("/v1/contacts/bulk", json=_bulk("a@x.com"), headers=KEY)
    async with database.unscoped_session() as session:
        await session.execute(
            update(IdempotentRequest)
            .where(IdempotentRequest.organization_id == uuid.UUID(tenant.organization_id))
            .values(created_at=utcnow() - timedelta(hours=24, seconds=1))
        )
    again = await tenant.post("/v1/contacts/bulk", json=_bulk("a@x.com"), headers=KEY)
    assert again.status_code == 201 and "idempotent-replayed" not in again.headers
    assert again.json()["data"][0]["id"] != first.json()["data"][0]["id"]
    assert await _contacts_of(database, tenant) == 2


async def test_opencx_and_sequences_are_replayed_too(tenants) -> None:
    tenant = await tenants.create()
    body = {"name": "S", "creatorId": tenant.om(0), "assignedToIds": [tenant.om(0)]}
    created = await tenant.post("/v1/sequences", json=body, headers=KEY)
    assert (await tenant.post("/v1/sequences", json=body, headers=KEY)).json()["id"] == created.json()["id"]
    assert (await tenant.get("/v1/sequences")).json()["total"] == 1
    sequence_id = await continuous(tenant)
    push = {"contacts": [{"email": "lead@x.com", "first_name": "L", "last_name": "X"}]}
    path = f"/opencx/sequences/{sequence_id}/contacts"
    key = {"Idempotency-Key": "opencx-1"}
    run = await tenant.post(path, json=push, headers=key)
    assert run.status_code == 200, run.text
    replay = await tenant.post(path, json=push, headers=key)
    assert replay.json()["run_id"] == run.json()["run_id"]


async def test_a_malformed_key_is_a_400_and_a_key_on_a_read_is_ignored(tenants) -> None:
    tenant = await tenants.create()
    for bad in ["", "has space", "x" * 256, "é"]:
        response = await tenant.post(
            "/v1/contacts/bulk", json=_bulk("a@x.com"), headers={"Idempotency-Key": bad.encode()}
        )
        assert response.status_code == 400, (bad, response.text)
        assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert (await tenant.get("/v1/contacts", headers={"Idempotency-Key": "has space"})).status_code == 200


async def test_concurrent_requests_with_one_key_do_it_once(tenants, database) -> None:
    tenant = await tenants.create()
    answers = await asyncio.gather(
        *(tenant.post("/v1/contacts/bulk", json=_bulk("a@x.com"), headers=KEY) for _ in range(4))
    )
    created = [a for a in answers if a.status_code == 201]
    assert created and all(a.status_code in (201, 409) for a in answers), [a.text for a in answers]
    assert len({a.content for a in created}) == 1
    assert await _contacts_of(database, tenant) == 1


async def test_the_purge_forgets_expired_keys_only(tenants, database) -> None:
    tenant = await tenants.create()
    await tenant.post("/v1/contacts/bulk", json=_bulk("a@x.com"), headers=KEY)
    await tenant.post("/v1/contacts/bulk", json=_bulk("b@x.com"), headers={"Idempotency-Key": "recent"})
    async with database.unscoped_session() as session:
        await session.execute(
            update(IdempotentRequest)
            .where(IdempotentRequest.organization_id == uuid.UUID(tenant.organization_id),
                   IdempotentRequest.key == KEY["Idempotency-Key"])
            .values(created_at=utcnow() - timedelta(hours=25))
        )
    async with database.unscoped_session() as session:
        assert await purge(session) >= 1
    async with database.unscoped_session(write=False) as session:
        kept = await session.scalars(
            select(IdempotentRequest.key).where(IdempotentRequest.organization_id == uuid.UUID(tenant.organization_id))
        )
        assert list(kept) == ["recent"]


def test_the_cli_purge_reports_what_it_deleted(tmp_path) -> None:
    env = {**os.environ, "RELANCE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"}
    result = subprocess.run(
        [sys.executable, "-m", "relance.cli", "idempotency-keys", "purge"],
        env=env, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert '"deleted": 0' in result.stdout
