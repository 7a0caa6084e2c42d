"""`relance serve` processes: SIGTERM under load, many processes migrating one database,
exact rate-limit headers and metrics across workers, the JSON log line."""

import asyncio
import json
import os
import sqlite3
import time
import uuid
from pathlib import Path

import asyncpg
import httpx
import pytest

from relance.db.migrate import head_revision
from tests.factory import TenantFactory
from tests.realparts import RelanceServer, counter
from tests.test_production_faults import METRICS, server_env


def postgres_admin_url() -> str:
    url = os.environ.get("RELANCE_TEST_POSTGRES_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("RELANCE_TEST_POSTGRES_URL is not set: run the suite with `make test`")
        pytest.skip("RELANCE_TEST_POSTGRES_URL is not set (make test starts PostgreSQL)")
    return url.replace("postgresql+asyncpg://", "postgresql://")


@pytest.fixture
async def fresh_postgres_database() -> str:
    """A new, empty database on the suite's PostgreSQL (dropped afterwards)."""
    admin_url = postgres_admin_url()
    name = f"relance_fresh_{uuid.uuid4().hex[:10]}"
    connection = await asyncpg.connect(admin_url)
    await connection.execute(f'CREATE DATABASE "{name}"')
    await connection.close()
    yield admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + f"/{name}"
    connection = await asyncpg.connect(admin_url)
    await connection.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    await connection.close()


def json_lines(server: RelanceServer) -> list[dict]:
    lines = []
    for line in server.log().splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


async def test_four_processes_starting_at_once_migrate_once(tmp_path: Path, fresh_postgres_database) -> None:
    servers = [RelanceServer(tmp_path, server_env(RELANCE_DATABASE_URL=fresh_postgres_database))
               for _ in range(4)]  # fmt: skip
    try:
        for server in servers:
            server.start(wait=False)
        for server in servers:
            await asyncio.to_thread(server.wait_until_serving)
        for server in servers:
            async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as client:
                assert (await client.get("/readyz")).json()["status"] == "ready"
        outcomes = sorted(
            line["outcome"] for server in servers for line in json_lines(server) if line["event"] == "migrations"
        )
        head = head_revision()
        assert outcomes == sorted([f"schema migrated from empty to {head}"]
                                  + [f"schema already at {head}: nothing to do"] * 3)  # fmt: skip
    finally:
        for server in servers:
            server.close()


async def test_sigterm_lets_every_request_under_way_finish(tmp_path: Path) -> None:
    server = RelanceServer(tmp_path, server_env(
        RELANCE_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'relance.db'}",
        RELANCE_SHUTDOWN_GRACE_S="30",
        # The batches queue behind SQLite's one writer: on a busy machine the last waits
        # longer than the faults tests' 2 s, and this test is about the signal, not them.
        RELANCE_DB_TIMEOUT_S="30",
    ))  # fmt: skip
    try:
        await asyncio.to_thread(server.start)
        limits = httpx.Limits(max_connections=64)
        async with httpx.AsyncClient(base_url=server.base_url, timeout=60, limits=limits) as client:
            tenant = await TenantFactory(client).create()
            sequence_id = await tenant.sequence()

            sent = 0

            async def trace(event: str, info: dict) -> None:
                nonlocal sent
                sent += event == "http11.send_request_body.complete"

            async def add_batch(n: int) -> httpx.Response:
                contacts = [{"firstName": "Sig", "email": f"sig-{n}-{i}@term.test",
                             "phoneNumbers": ["+33612345678"]} for i in range(100)]  # fmt: skip
                created = await tenant.post("/v1/contacts/bulk", json={"contacts": contacts},
                                            extensions={"trace": trace})  # fmt: skip
                return created

            # SQLite's write lock held here, so that every batch is still waiting for it when
            # the signal comes, however fast the server: requests under way, for certain.
            lock = sqlite3.connect(tmp_path / "relance.db", isolation_level=None)
            lock.execute("BEGIN IMMEDIATE")
            try:
                tasks = [asyncio.create_task(add_batch(n)) for n in range(32)]
                # Every request sent whole and its connection accepted by the server (on a
                # busy machine that takes longer than on an idle one: a connection the server
                # has not accepted when it stops listening is refused, as it should be).
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline and (
                    sent < len(tasks) or server.accepted_connections() < len(tasks)
                ):
                    await asyncio.sleep(0.01)
                assert sent == len(tasks)
                await asyncio.sleep(0.3)
                pending_at_signal = sum(not task.done() for task in tasks)
                server.terminate()
                await asyncio.sleep(0.5)  # the server stops listening, its requests wait on
            finally:
                lock.rollback()
                lock.close()
            answers = await asyncio.gather(*tasks)
        assert pending_at_signal == len(tasks)
        assert [a.status_code for a in answers] == [201] * 32
        # uvicorn ends by re-raising the signal it handled, once shut down cleanly.
        assert await asyncio.to_thread(server.wait, 30) in (0, -15)
        assert "Finished server process" in server.log()
        assert sequence_id
    finally:
        server.close()


def test_migrate_says_what_it_did(tmp_path: Path) -> None:
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src"),
           "RELANCE_DATABASE_URL": f"sqlite:///{tmp_path / 'm.db'}"}  # fmt: skip
    run = [sys.executable, "-m", "relance.cli", "migrate"]
    first = subprocess.run(run, env=env, capture_output=True, text=True, timeout=60)
    second = subprocess.run(run, env=env, capture_output=True, text=True, timeout=60)
    head = head_revision()
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert first.stdout.splitlines()[-1] == f"relance: schema migrated from empty to {head}"
    assert second.stdout.splitlines()[-1] == f"relance: schema already at {head}: nothing to do"


async def test_two_workers_share_one_exact_budget_and_their_metrics(tmp_path: Path) -> None:
    redis_url = os.environ.get("RELANCE_TEST_REDIS_URL")
    if not redis_url:
        pytest.skip("RELANCE_TEST_REDIS_URL is not set")
    server = RelanceServer(tmp_path, server_env(
        RELANCE_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'relance.db'}",
        RELANCE_REDIS_URL=redis_url, RELANCE_RATE_LIMITS='{"STARTER": 50}',
    ), workers=2)  # fmt: skip
    try:
        await asyncio.to_thread(server.start)
        limits = httpx.Limits(max_connections=32)
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30, limits=limits) as client:
            tenant = await TenantFactory(client).create(plan="STARTER")
            answers = await asyncio.gather(*(
                tenant.get("/v1/users", headers={"X-Request-Id": f"budget-{n}"}) for n in range(120)
            ))  # fmt: skip
            exposition = (await client.get("/metrics", headers=METRICS)).text
        allowed = [a for a in answers if a.status_code == 200]
        assert len(allowed) == 50
        assert {a.status_code for a in answers} == {200, 429}
        remaining = [int(a.headers["x-ratelimit-remaining"]) for a in allowed]
        assert sorted(remaining) == list(range(50))
        # /metrics, answered by one worker, counts the requests both answered.
        total = sum(counter(exposition, "relance_http_requests_total", route="/v1/users", method="GET", status=s)
                    for s in ("200", "429"))  # fmt: skip
        assert total == 120
        lines = {line["request_id"]: line for line in _request_lines(server)}
        assert lines["budget-0"]["organization_id"] == tenant.organization_id
        assert lines["budget-0"]["route"] == "/v1/users" and lines["budget-0"]["method"] == "GET"
        assert lines["budget-0"]["status"] in (200, 429) and lines["budget-0"]["duration_ms"] > 0
    finally:
        server.close()


def _request_lines(server: RelanceServer) -> list[dict]:
    return [line for line in json_lines(server) if line["event"] == "request"]
