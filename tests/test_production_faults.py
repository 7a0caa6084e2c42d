"""PostgreSQL stopped or hung, Redis stopped or hung, under a real `relance serve`.

Each test starts its own PostgreSQL or Redis (tests/realparts.py), so that taking it down
disturbs nothing else, and a Relance server against it. Bounds: RELANCE_DB_TIMEOUT_S is 2
here, every client waits at most 10 s, every phase lasts a few seconds.
"""

import asyncio
import itertools
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.factory import ADMIN_TOKEN, Tenant, TenantFactory
from tests.realparts import Postgres, Redis, RelanceServer

DB_TIMEOUT_S = 2.0
METRICS = {"Authorization": "Bearer metrics-secret"}
_batches = itertools.count()


def server_env(**values: str) -> dict[str, str]:
    return {
        "RELANCE_ADMIN_TOKEN": ADMIN_TOKEN,
        "RELANCE_RATE_LIMITS": '{"EXPERT": 1000000}',
        "RELANCE_DB_TIMEOUT_S": str(DB_TIMEOUT_S),
        "RELANCE_METRICS_TOKEN": "metrics-secret",
        "RELANCE_LOG_FORMAT": "json",
        **values,
    }


@dataclass
class Answer:
    kind: str  # "read" or "write"
    batch: str | None  # the write's email prefix
    started: float
    elapsed: float
    status: int | None  # None: no answer at all (the client gave up)
    body: dict | None
    retry_after: str | None


class Load:
    """Readers and writers against one tenant, every answer recorded with its timing."""

    def __init__(self, tenant: Tenant, sequence_id: str) -> None:
        self.tenant = tenant
        self.sequence_id = sequence_id
        self.answers: list[Answer] = []
        self._stop = asyncio.Event()

    async def _one(self, kind: str) -> None:
        batch = None
        started = time.monotonic()
        try:
            if kind == "read":
                response = await self.tenant.get(f"/v1/sequences/{self.sequence_id}")
            else:
                batch = f"b{next(_batches)}-{uuid.uuid4().hex[:6]}"
                contacts = [{"firstName": "Load", "email": f"{batch}-{i}@load.test"} for i in range(5)]
                response = await self.tenant.post("/v1/contacts/bulk", json={"contacts": contacts})
            status, body = response.status_code, response.json()
            retry_after = response.headers.get("retry-after")
        except httpx.HTTPError:
            status, body, retry_after = None, None, None
        self.answers.append(Answer(kind, batch, started, time.monotonic() - started, status, body, retry_after))

    async def _worker(self, kind: str) -> None:
        while not self._stop.is_set():
            await self._one(kind)
            await asyncio.sleep(0.02)

    async def run_for(self, seconds: float, workers: int = 3) -> list[Answer]:
        first = len(self.answers)
        self._stop.clear()
        tasks = [asyncio.create_task(self._worker(kind)) for kind in ("read", "write") for _ in range(workers)]
        await asyncio.sleep(seconds)
        self._stop.set()
        await asyncio.gather(*tasks)
        return self.answers[first:]


@pytest.fixture
async def postgres_behind_relance(tmp_path: Path) -> AsyncIterator[tuple[Postgres, RelanceServer, Load]]:
    postgres = await asyncio.to_thread(Postgres)
    server = RelanceServer(tmp_path, server_env(RELANCE_DATABASE_URL=postgres.url))
    try:
        await asyncio.to_thread(server.start)
        async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as client:
            tenant = await TenantFactory(client).create()
            yield postgres, server, Load(tenant, await tenant.sequence())
    finally:
        server.close()
        await asyncio.to_thread(postgres.close)


def assert_unavailable(answers: list[Answer], within_s: float) -> None:
    assert answers, "no request was answered"
    for answer in answers:
        assert answer.status == 503, answer
        assert answer.body is not None and answer.body["error"]["code"] == "UNAVAILABLE", answer
        assert answer.retry_after is not None and answer.retry_after.isdigit(), answer
        assert answer.elapsed <= within_s, answer


async def assert_recovers(load: Load, since: float, within_s: float = 2.0) -> None:
    """Within ``within_s`` of ``since`` every request succeeds, and keeps succeeding."""
    deadline = since + within_s
    while True:
        probe = await load.run_for(0.3, workers=1)
        if all(a.status in (200, 201) for a in probe):
            break
        assert time.monotonic() < deadline + 1, [a for a in probe if a.status not in (200, 201)]
    assert probe[0].started <= deadline
    steady = await load.run_for(1.0)
    assert [a for a in steady if a.status not in (200, 201)] == []


async def assert_writes_whole(postgres: Postgres, answers: list[Answer]) -> None:
    """Every acknowledged write is there; every other one is there whole or not at all."""
    connection = await asyncpg.connect(postgres.url.replace("postgresql+asyncpg", "postgresql"))
    try:
        rows = await connection.fetch("SELECT email FROM contacts WHERE email LIKE '%@load.test'")
    finally:
        await connection.close()
    stored: dict[str, int] = {}
    for row in rows:
        batch = row["email"].rsplit("-", 1)[0]
        stored[batch] = stored.get(batch, 0) + 1
    writes = [a for a in answers if a.kind == "write"]
    assert any(a.status == 201 for a in writes) and any(a.status == 503 for a in writes)
    for answer in writes:
        if answer.status == 201:
            assert stored.get(answer.batch) == 5, answer
        else:
            assert stored.get(answer.batch, 0) in (0, 5), answer


async def assert_no_connection_leaked(server: RelanceServer) -> None:
    """Once the load is over, every connection the failures touched went back or away."""
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as client:
        exposition = (await client.get("/metrics", headers=METRICS)).text
    in_use = [line for line in exposition.splitlines() if line.startswith("relance_database_connections_in_use ")]
    assert in_use == ["relance_database_connections_in_use 0.0"]


async def readiness(server: RelanceServer) -> tuple[int, float]:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as client:
        started = time.monotonic()
        response = await client.get("/readyz")
        return response.status_code, time.monotonic() - started


async def healthz_time(server: RelanceServer) -> float:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as client:
        started = time.monotonic()
        assert (await client.get("/healthz")).status_code == 200
        return time.monotonic() - started


async def test_postgres_stopped_then_back(postgres_behind_relance) -> None:
    postgres, server, load = postgres_behind_relance
    healthy = await load.run_for(0.5)
    assert {a.status for a in healthy} <= {200, 201}
    await asyncio.to_thread(postgres.stop)
    stopped_at = time.monotonic()
    during = [a for a in await load.run_for(2.0) if a.started > stopped_at]
    assert_unavailable(during, within_s=DB_TIMEOUT_S + 1)
    assert (await readiness(server))[0] == 503
    assert await healthz_time(server) < 0.5
    await asyncio.to_thread(postgres.start)
    await assert_recovers(load, since=time.monotonic())
    assert (await readiness(server))[0] == 200
    await assert_writes_whole(postgres, load.answers)
    await assert_no_connection_leaked(server)


async def test_postgres_hung_then_resumed(postgres_behind_relance) -> None:
    postgres, server, load = postgres_behind_relance
    await load.run_for(0.5)
    postgres.pause()
    paused_at = time.monotonic()
    try:
        during = [a for a in await load.run_for(3.0) if a.started > paused_at]
        assert_unavailable(during, within_s=DB_TIMEOUT_S + 1)
        status, elapsed = await readiness(server)
        assert status == 503 and elapsed <= DB_TIMEOUT_S + 1
        assert await healthz_time(server) < 0.5
    finally:
        postgres.resume()
    await assert_recovers(load, since=time.monotonic())
    await assert_writes_whole(postgres, load.answers)
    await assert_no_connection_leaked(server)


# --- Redis ------------------------------------------------------------------------------


def redis_count(redis: Redis, organization_id: str) -> int:
    """The request count Redis holds for an organization this minute (0 when none)."""
    out = subprocess.run(
        ["redis-cli", "-p", str(redis.port), "--scan", "--pattern", f"*{organization_id}*"],
        capture_output=True, text=True, timeout=10,
    ).stdout.split()  # fmt: skip
    total = 0
    for key in out:
        value = subprocess.run(["redis-cli", "-p", str(redis.port), "GET", key],
                               capture_output=True, text=True, timeout=10).stdout.strip()  # fmt: skip
        total += int(value or 0)
    return total


def _fallback_value(exposition: str) -> float:
    for line in exposition.splitlines():
        if line.startswith("relance_rate_limit_fallbacks_total "):
            return float(line.split()[1])
    return 0.0


async def timed_reads(tenant: Tenant, n: int) -> list[tuple[int, float]]:
    results = []
    for _ in range(n):
        started = time.monotonic()
        response = await tenant.get("/v1/users")
        results.append((response.status_code, time.monotonic() - started))
    return results


async def wait_for(condition: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        await asyncio.sleep(0.1)
    return condition()


async def test_redis_stopped_or_hung_never_stops_requests(tmp_path: Path) -> None:
    redis = await asyncio.to_thread(Redis, tmp_path)
    server = RelanceServer(tmp_path, server_env(
        RELANCE_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'relance.db'}",
        RELANCE_REDIS_URL=redis.url, RELANCE_REDIS_TIMEOUT_S="0.3",
    ))  # fmt: skip
    try:
        await asyncio.to_thread(server.start)
        async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as client:
            tenant = await TenantFactory(client).create()
            org = tenant.organization_id
            assert [s for s, _ in await timed_reads(tenant, 3)] == [200] * 3
            assert redis_count(redis, org) == 3

            async def metric() -> float:
                return _fallback_value((await client.get("/metrics", headers=METRICS)).text)

            before = await metric()
            redis.stop()
            stopped = await timed_reads(tenant, 10)
            assert [s for s, _ in stopped] == [200] * 10
            assert max(t for _, t in stopped) < 1.5
            assert await metric() >= before + 10
            assert "redis unavailable" in server.log()

            redis.start()  # empty again, on the same port
            await asyncio.sleep(1.2)  # the process asks Redis again a second after it failed
            assert [s for s, _ in await timed_reads(tenant, 3)] == [200] * 3
            assert await wait_for(lambda: redis_count(redis, org) >= 1, 3)
            assert "rate limiting uses redis again" in server.log()

            before = await metric()
            redis.pause()
            try:
                hung = await timed_reads(tenant, 6)
            finally:
                redis.resume()
            assert [s for s, _ in hung] == [200] * 6
            assert max(t for _, t in hung) < 0.3 + 1
            assert await metric() >= before + 5
            counted = redis_count(redis, org)
            await asyncio.sleep(1.2)
            assert [s for s, _ in await timed_reads(tenant, 3)] == [200] * 3
            assert await wait_for(lambda: redis_count(redis, org) >= counted + 3, 3)
    finally:
        server.close()
        redis.close()
