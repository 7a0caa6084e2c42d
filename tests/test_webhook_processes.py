"""Webhooks with real ``relance serve`` and ``relance worker`` processes: ``kill -9`` after
a change's 2xx and at random moments under load loses no event; two dispatchers on
PostgreSQL never send one attempt twice."""

import asyncio
import os
import random
import signal
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from relance.db.migrate import upgrade_to_head
from tests.conftest import GENEROUS_LIMITS, SECRET_KEY, database_url
from tests.factory import ADMIN_TOKEN, Tenant, TenantFactory
from tests.realparts import free_port
from tests.receiver import Receiver, wait_for, wait_while_received
from tests.zygote import Zygote

# Crashes per database, as the issue asks: 20 (about 60 s per database here, some 30 s
# more in all than 10); RELANCE_TEST_CRASHES for a longer soak.
CRASHES = int(os.environ.get("RELANCE_TEST_CRASHES", "20"))


@pytest.fixture
async def served_url(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """An empty, migrated database of the backend for the test's processes alone."""
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'served.db'}"
        await asyncio.to_thread(upgrade_to_head, url)
        yield url
        return
    base = database_url("postgresql", tmp_path)
    name = f"hooks_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(base, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(sa.text(f"CREATE DATABASE {name}"))
    url = base.rsplit("/", 1)[0] + f"/{name}"
    try:
        await asyncio.to_thread(upgrade_to_head, url)
        yield url
    finally:
        async with admin.connect() as connection:
            await connection.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        await admin.dispose()


@pytest.fixture(scope="module")
def processes() -> Iterator[Zygote]:
    """One forking parent for the module: Relance is imported once."""
    parent = Zygote(
        {
            "RELANCE_ADMIN_TOKEN": ADMIN_TOKEN,
            "RELANCE_RATE_LIMITS": GENEROUS_LIMITS,
            "RELANCE_WEBHOOK_ALLOW_PRIVATE": "1",
            "RELANCE_WEBHOOK_TIMEOUT_S": "1",
            "RELANCE_WEBHOOK_POLL_S": "0.05",
            "RELANCE_WEBHOOK_RETRY_SCHEDULE": "0,0.2,0.5,1,1,1,1,1",
            "RELANCE_SHUTDOWN_GRACE_S": "0",
            "RELANCE_EVENT_FEED_SETTLE_S": "0",
            "RELANCE_SECRET_KEY": SECRET_KEY,
        }
    )
    yield parent
    parent.close()


class Processes:
    """The module's forking parent, starting commands against the test's database."""

    def __init__(self, parent: Zygote, url: str) -> None:
        self.parent = parent
        self.url = url
        self.children: list[int] = []

    def start(self, args: list[str], *, env: dict[str, str], log: Path) -> int:
        pid = self.parent.start(args, env={"RELANCE_DATABASE_URL": self.url, **env}, log=log)
        self.children.append(pid)
        return pid

    def kill(self, pid: int) -> None:
        self.parent.kill(pid)


@pytest.fixture
def zygote(processes: Zygote, served_url: str) -> Iterator[Processes]:
    started = Processes(processes, served_url)
    yield started
    for pid in started.children:
        started.kill(pid)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


def serve(zygote: Processes, port: int, log: Path, **env: str) -> int:
    pid = zygote.start(["serve", "--port", str(port)], env=env, log=log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return pid
        except httpx.HTTPError:
            time.sleep(0.05)
    raise AssertionError(f"relance serve did not start:\n{log.read_text(errors='replace')}")


def client(port: int) -> httpx.AsyncClient:
    # No retries and no kept connections: the server behind them is killed and restarted.
    transport = httpx.AsyncHTTPTransport(retries=0, limits=httpx.Limits(max_keepalive_connections=0))
    return httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", transport=transport, timeout=30)


async def feed(tenant: Tenant) -> list[str]:
    ids: list[str] = []
    after = None
    for _ in range(100):
        params = {"limit": 1000} | ({"after": after} if after else {})
        page = (await tenant.get("/v1/events", params=params)).json()
        ids.extend(e["id"] for e in page["data"])
        if (after := page["next"]) is None:
            return ids
    raise AssertionError("the feed never ended")


async def test_kill_9_right_after_a_2xx_then_the_event_is_delivered_after_a_restart(zygote, receiver, tmp_path) -> None:
    port = free_port()
    # This server's dispatcher looks once at start, then not for a minute: it is killed first.
    pid = serve(zygote, port, tmp_path / "first.log", RELANCE_WEBHOOK_POLL_S="60")
    async with client(port) as http:
        tenant = await TenantFactory(http).create()
        hook = await tenant.post("/v1/webhooks", json={"url": receiver.url("/crash")})
        assert hook.status_code == 201, hook.text
        contacts = await tenant.contacts(2)
        created = await tenant.post(
            "/v1/sequences",
            json={"name": "S", "creatorId": tenant.om(0), "assignedToIds": [tenant.om(0)], "contactIds": contacts},
        )
        assert created.status_code == 201
        zygote.kill(pid)
    assert receiver.at("/crash") == []
    serve(zygote, port, tmp_path / "second.log")
    async with client(port) as http:
        tenant.client = http
        recorded = await feed(tenant)
        assert len(recorded) == 2
        await asyncio.to_thread(wait_for, lambda: len(receiver.at("/crash")) >= 2, timeout_s=20)
    assert {r.webhook_id for r in receiver.at("/crash")} == set(recorded)


async def _load(
    tenant: Tenant, sequence_ids: list[str], contacts: list[str], stop: asyncio.Event, done: list[int]
) -> None:
    """Adds and removes of random contacts until ``stop``, or until the server is gone;
    ``done`` gets the status of every answer."""
    rng = random.Random()
    while not stop.is_set():
        chosen = rng.sample(contacts, rng.randint(1, 5))
        path = f"/v1/sequences/{rng.choice(sequence_ids)}/contacts"
        try:
            if rng.random() < 0.6:
                response = await tenant.post(path, json={"contacts": [{"contactId": c} for c in chosen]})
            else:
                response = await tenant.delete(path, json={"contactIds": chosen})
        except httpx.HTTPError:
            return
        done.append(response.status_code)


async def test_twenty_crashes_at_random_moments_under_load_lose_no_event(zygote, tmp_path) -> None:
    receiver = Receiver(delay_s=0.01)  # attempts take a moment: some crashes land in them
    port = free_port()
    rng = random.Random()
    try:
        serve(zygote, port, tmp_path / "setup.log")
        async with client(port) as http:
            tenant = await TenantFactory(http).create()
            for path in ("/a", "/b"):
                assert (await tenant.post("/v1/webhooks", json={"url": receiver.url(path)})).status_code == 201
            contacts = await tenant.contacts(30)
            sequence_ids = [await tenant.sequence(), await tenant.sequence()]
        done: list[int] = []
        for crash in range(CRASHES):
            pid = zygote.children[-1] if crash == 0 else serve(zygote, port, tmp_path / f"run{crash}.log")
            async with client(port) as http:
                tenant.client = http
                stop = asyncio.Event()
                workers = [asyncio.create_task(_load(tenant, sequence_ids, contacts, stop, done)) for _ in range(3)]
                await asyncio.sleep(rng.uniform(0.3, 0.9))
                await asyncio.to_thread(zygote.kill, pid)  # requests and attempts under way
                stop.set()
                await asyncio.wait_for(asyncio.gather(*workers), 30)
        serve(zygote, port, tmp_path / "last.log")
        async with client(port) as http:
            tenant.client = http
            recorded = set(await feed(tenant))
            assert set(done) <= {200, 201} and done and recorded  # the load did change things
            for path in ("/a", "/b"):
                await asyncio.to_thread(
                    wait_while_received,
                    receiver,
                    lambda: recorded <= {r.webhook_id for r in receiver.at(path)},
                )
    finally:
        receiver.close()


async def test_two_dispatchers_on_postgresql_never_send_one_attempt_twice(backend, zygote, tmp_path) -> None:
    if backend != "postgresql":
        pytest.skip("on SQLite the one writer serializes dispatchers")
    receiver = Receiver(delay_s=0.005)
    port = free_port()
    try:
        serve(zygote, port, tmp_path / "api.log", RELANCE_WEBHOOK_DELIVERY="off")
        async with client(port) as http:
            tenant = await TenantFactory(http).create()
            paths = [f"/e{i}" for i in range(40)]  # more endpoints than one dispatcher sends at once
            for path in paths:
                assert (await tenant.post("/v1/webhooks", json={"url": receiver.url(path)})).status_code == 201
            contacts = await tenant.contacts(3)
            logs = [tmp_path / "worker1.log", tmp_path / "worker2.log"]
            # A timeout and a lease far longer than any answer here: on a busy machine the
            # module's 1 s timeout lets a slow answer count as failed and be sent again (at
            # least once, as designed), which is not the double claim this test looks for.
            slow_machine = {"RELANCE_WEBHOOK_TIMEOUT_S": "10"}
            workers = [zygote.start(["worker"], env=slow_machine, log=log) for log in logs]
            for log in logs:  # both ready before there is anything to send
                await asyncio.to_thread(
                    wait_for, lambda: log.exists() and "worker_started" in log.read_text(), timeout_s=30
                )
            await tenant.sequence(contact_ids=contacts)
            recorded = await feed(tenant)
            assert len(recorded) == 3
            await asyncio.to_thread(wait_for, lambda: len(receiver.received) >= 120, timeout_s=40)
            await asyncio.sleep(0.5)  # a second send, if any, would arrive meanwhile
        sent = [(r.path, r.webhook_id) for r in receiver.received]
        assert len(sent) == 120 and len(set(sent)) == 120
        assert set(sent) == {(p, e) for p in paths for e in recorded}
        # Both took part: each logged attempts of its own; the server, delivery off, none.
        assert all('"webhook_attempt"' in log.read_text() for log in logs)
        assert '"webhook_attempt"' not in (tmp_path / "api.log").read_text()
        # SIGTERM stops a worker.
        for pid in workers:
            os.kill(pid, signal.SIGTERM)
        for pid in workers:
            await asyncio.to_thread(wait_for, lambda: not Path(f"/proc/{pid}").exists(), timeout_s=15)
    finally:
        receiver.close()
