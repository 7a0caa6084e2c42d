"""A transaction aborted by a concurrent one (PostgreSQL's deadlock_detected and
serialization_failure) runs again instead of answering 500; the client never sees it."""

import asyncio
import logging

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from relance.api.faults import Faults
from relance.db.dialect import is_transient_conflict


# SQLite serializes its writers: it has no deadlocks to retry.
pytestmark = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)


async def test_a_real_deadlock_is_retried_and_spends_one_request(
    tenants, database, caplog
) -> None:
    tenant = await tenants.create()
    [contact] = await tenant.contacts(1)
    sequence_id = await tenant.sequence(contact_ids=[contact])
    before = int((await tenant.get("/v1/users")).headers["x-ratelimit-remaining"])
    engine = create_async_engine(database.url)
    caplog.set_level(logging.INFO, logger="relance")
    try:
        async with engine.connect() as other:
            # Locks the sequence's reps, then (once the delete below holds the contact and
            # waits for the reps) the contact: a cycle PostgreSQL breaks by aborting the
            # delete, whose deadlock check fires first.
            await other.execute(text("SET deadlock_timeout = '20s'"))
            await other.execute(
                text("SELECT id FROM sequence_assignees WHERE sequence_id = :id FOR UPDATE"),
                {"id": sequence_id},
            )
            delete = asyncio.create_task(tenant.delete(f"/v1/contacts/{contact}"))
            for _ in range(100):
                waiting = await database_waits(database)
                if waiting:
                    break
                await asyncio.sleep(0.05)
            assert waiting, "the delete never waited for the reps"
            await other.execute(text("SELECT id FROM contacts WHERE id = :id FOR UPDATE"), {"id": contact})
            await other.commit()
            response = await asyncio.wait_for(delete, 30)
    finally:
        await engine.dispose()
    assert response.status_code == 204, response.text
    assert any("transient conflict" in r.getMessage() for r in caplog.records)
    assert int(response.headers["x-ratelimit-remaining"]) == before - 1
    assert (await tenant.get(f"/v1/contacts/{contact}")).status_code == 404
    assert (await tenant.get(f"/v1/sequences/{sequence_id}")).json()["contactCount"] == 0


async def database_waits(database) -> bool:  # noqa: ANN001
    """Whether some backend is waiting on a row lock of the sequence_assignees table."""
    engine = create_async_engine(database.url)
    try:
        async with engine.connect() as connection:
            found = await connection.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND query LIKE '%FROM sequence_assignees%FOR UPDATE%'"
                )
            )
    finally:
        await engine.dispose()
    return bool(found)


def conflicting_app(database_url: str, *, fail_times: int) -> tuple[Starlette, list[bytes]]:
    """An app whose first ``fail_times`` requests raise a real serialization_failure."""
    engine = create_async_engine(database_url)
    bodies: list[bytes] = []

    async def endpoint(request: Request) -> JSONResponse:
        bodies.append(await request.body())
        if len(bodies) <= fail_times:
            async with engine.connect() as connection:
                await connection.execute(
                    text("DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = '40001'; END $$")
                )
        return JSONResponse({"attempts": len(bodies)})

    app = Starlette(routes=[Route("/v1/thing", endpoint, methods=["POST"])])
    app.add_middleware(Faults, first_pause_s=0.001)
    return app, bodies


async def post(app: Starlette, body: bytes) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://relance.test") as client:
        return await client.post("/v1/thing", content=body)


async def test_the_body_is_replayed_on_every_attempt(database) -> None:
    app, bodies = conflicting_app(database.url, fail_times=2)
    response = await post(app, b'{"contacts": [1, 2, 3]}')
    assert response.status_code == 200
    assert response.json() == {"attempts": 3}
    assert bodies == [b'{"contacts": [1, 2, 3]}'] * 3


async def test_a_conflict_that_persists_is_a_503_not_a_500(database) -> None:
    app, bodies = conflicting_app(database.url, fail_times=100)
    response = await post(app, b"{}")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert response.json()["error"]["code"] == "UNAVAILABLE"
    assert response.json()["error"]["status"] == 503
    assert len(bodies) == 4


async def test_only_transient_errors_count(database) -> None:
    engine = create_async_engine(database.url)
    errors = []
    async with engine.connect() as connection:
        for code in ("40001", "40P01", "23505", "42601"):
            try:
                await connection.execute(
                    text(f"DO $$ BEGIN RAISE EXCEPTION 'x' USING ERRCODE = '{code}'; END $$")
                )
            except Exception as error:  # noqa: BLE001
                errors.append(error)
                await connection.rollback()
    await engine.dispose()
    assert [is_transient_conflict(e) for e in errors] == [True, True, False, False]
    assert not is_transient_conflict(ValueError("40001"))
