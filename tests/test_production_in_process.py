"""Production mode, in process: request ids, metrics, readiness, a locked SQLite, a 500.

The tests that take PostgreSQL or Redis down, or start `relance serve`, are in
test_production_faults.py and test_production_processes.py.
"""

import asyncio
import io
import json
import logging
import re
import sqlite3
import time
import uuid
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import Request
from sqlalchemy import text

from relance.api.app import create_app
from relance.plans import Plan
from relance.ratelimit import Budget, RateLimiter
from relance.settings import Settings
from relance.tenancy.database import Database
from tests.conftest import make_settings
from tests.factory import TenantFactory
from tests.realparts import counter, free_port

METRICS = {"Authorization": "Bearer metrics-secret"}


@pytest.fixture
async def observed(database):  # noqa: ANN001, ANN201
    app = create_app(make_settings(database, metrics_token="metrics-secret"), database=database)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://relance.test") as client:
        yield client


async def test_metrics_count_requests_by_route_template(observed) -> None:
    tenant = await TenantFactory(observed).create()
    sequence_id = await tenant.sequence()
    labels = {"route": "/v1/sequences/{id}", "method": "GET", "status": "200"}
    before = counter((await observed.get("/metrics", headers=METRICS)).text,
                     "relance_http_requests_total", **labels)  # fmt: skip
    for _ in range(3):
        assert (await tenant.get(f"/v1/sequences/{sequence_id}")).status_code == 200
    assert (await tenant.get(f"/v1/sequences/{uuid.uuid4()}")).status_code == 404
    exposition = (await observed.get("/metrics", headers=METRICS)).text
    assert counter(exposition, "relance_http_requests_total", **labels) == before + 3
    assert counter(exposition, "relance_http_requests_total", **{**labels, "status": "404"}) >= 1
    # The ids in the paths never became series of their own.
    assert sequence_id not in exposition
    assert "relance_http_request_duration_seconds_bucket" in exposition


async def test_metrics_need_their_token(observed, database) -> None:
    assert (await observed.get("/metrics")).status_code == 401
    assert (await observed.get("/metrics", headers={"Authorization": "Bearer nope"})).status_code == 401
    app = create_app(make_settings(database), database=database)  # no RELANCE_METRICS_TOKEN
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://relance.test") as client:
        assert (await client.get("/metrics", headers=METRICS)).status_code == 404


@pytest.mark.parametrize("path", ["/healthz", "/v1/users", "/opencx/runs/x", "/nowhere"])
async def test_a_well_formed_request_id_comes_back(observed, path) -> None:
    response = await observed.get(path, headers={"X-Request-Id": "req_2026-12-01:abc.42"})
    assert response.headers["x-request-id"] == "req_2026-12-01:abc.42"


@pytest.mark.parametrize("given", ["", "has space", "é".encode("latin-1"), "x" * 129, "a;b", "<script>"])
async def test_a_malformed_request_id_is_replaced(observed, given) -> None:
    response = await observed.get("/healthz", headers={"X-Request-Id": given})
    assert re.fullmatch("[0-9a-f]{32}", response.headers["x-request-id"])


async def test_every_response_gets_a_fresh_request_id(observed) -> None:
    ids = {(await observed.get("/v1/users")).headers["x-request-id"] for _ in range(5)}
    assert len(ids) == 5


async def test_readyz_reports_each_check(observed) -> None:
    response = await observed.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": "ok", "migrations": "ok"}}
    assert (await observed.get("/healthz")).json() == {"status": "ok"}


async def test_readyz_is_503_when_the_schema_is_behind(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    database = Database(url)
    app = create_app(Settings(database_url=url), database=database)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://relance.test") as client:
        response = await client.get("/readyz")
    await database.dispose()
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["migrations"].startswith("schema at None")


# --- SQLite: a writer that waits past the timeout ------------------------------------------


class LockProbe(RateLimiter):
    """A limiter that notes, each time a request spends its budget, whether another
    connection could take SQLite's write lock at that moment."""

    def __init__(self, path: str) -> None:
        super().__init__(per_minute={plan: 1000 for plan in Plan}, redis_url=None)
        self.path = path
        self.lock_was_free: list[bool] = []

    async def consume(self, *, organization_id: uuid.UUID, plan: Plan) -> Budget:
        probe = sqlite3.connect(self.path, timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
            self.lock_was_free.append(True)
        except sqlite3.OperationalError:
            self.lock_was_free.append(False)
        finally:
            probe.close()
        return await super().consume(organization_id=organization_id, plan=plan)


@pytest.fixture
async def sqlite_only(backend: str, database):  # noqa: ANN001, ANN201
    if backend != "sqlite":
        pytest.skip("SQLite's write lock")
    return database


async def test_a_write_spends_its_budget_before_taking_the_write_lock(sqlite_only) -> None:
    database = sqlite_only
    app = create_app(make_settings(database), database=database)
    probe = LockProbe(database.url.split("///", 1)[1])
    app.state.rate_limiter = probe
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://relance.test") as client:
        tenant = await TenantFactory(client).create()
        probe.lock_was_free.clear()
        response = await tenant.post("/v1/contacts", json={"firstName": "Ada"})
        assert response.status_code == 201
        assert (await tenant.get("/v1/users")).status_code == 200
    assert probe.lock_was_free == [True, True]


async def test_a_writer_waiting_past_the_timeout_is_503(sqlite_only) -> None:
    database = sqlite_only
    short = Database(database.url, timeout_s=0.5)
    app = create_app(make_settings(database), database=short)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://relance.test") as client:
        tenant = await TenantFactory(client).create()
        holder = sqlite3.connect(database.url.split("///", 1)[1], isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            started = time.monotonic()
            response = await tenant.post("/v1/contacts", json={"firstName": "Grace"})
            elapsed = time.monotonic() - started
            read = await tenant.get("/v1/users")  # readers are never blocked by a writer
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert response.status_code == 503, response.text
        assert response.json()["error"]["code"] == "UNAVAILABLE"
        assert response.headers["retry-after"].isdigit()
        assert elapsed < 0.5 + 1
        assert read.status_code == 200
        names = [c["firstName"] for c in (await tenant.get("/v1/contacts")).json()["data"]]
        assert "Grace" not in names
    await short.dispose()


# --- a 500 over a real connection ----------------------------------------------------------


@pytest.fixture
async def serving_a_fault(database):  # noqa: ANN001, ANN201
    """Relance with one more route that fails with a database error holding a parameter,
    served by uvicorn on loopback, its logs captured as JSON lines."""
    app = create_app(make_settings(database), database=database)

    @app.get("/v1/fault")
    async def fault(request: Request) -> None:
        # asyncpg quotes a value it cannot bind in its message; SQLite fails on the column.
        async with request.app.state.database.unscoped_session() as session:
            await session.execute(text("SELECT CAST(:secret AS INTEGER), no_such_column FROM sequences"),
                                  {"secret": "alice.secret@example.com"})  # fmt: skip

    from relance import logs

    captured = io.StringIO()
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    logs.configure("json")
    root.handlers[0].setStream(captured)  # type: ignore[attr-defined]
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None,
                                           loop="asyncio", lifespan="off"))  # fmt: skip
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}", captured
    finally:
        server.should_exit = True
        await task
        root.handlers, level = saved
        root.setLevel(level)
        logging.getLogger("uvicorn.access").disabled = False


async def test_a_500_keeps_the_connection_and_logs_no_parameter(serving_a_fault) -> None:
    base_url, captured = serving_a_fault
    limits = httpx.Limits(max_connections=1)
    async with httpx.AsyncClient(base_url=base_url, limits=limits) as client:
        failed = await client.get("/v1/fault", headers={"X-Request-Id": "fault-1"})
        stream = failed.extensions["network_stream"]
        after = await client.get("/healthz")
        assert after.extensions["network_stream"] is stream  # the same connection
    assert failed.status_code == 500
    assert failed.json() == {"error": {"code": "INTERNAL_ERROR", "message": "An unexpected error occurred", "status": 500}}
    assert "close" not in failed.headers.get("connection", "")
    assert failed.headers["x-request-id"] == "fault-1"
    assert after.status_code == 200
    lines = [json.loads(line) for line in captured.getvalue().splitlines()]
    errors = [line for line in lines if line["event"] == "unexpected error"]
    assert len(errors) == 1 and errors[0]["request_id"] == "fault-1"
    assert errors[0]["error"] == "DBAPIError" or errors[0]["error"].endswith("Error")
    assert "api/" in errors[0]["traceback"] and "fault" in errors[0]["traceback"]
    assert "CAST" in errors[0]["sql"]
    assert "alice.secret" not in captured.getvalue()
    access = [line for line in lines if line["event"] == "request" and line["request_id"] == "fault-1"]
    assert [(a["method"], a["route"], a["status"]) for a in access] == [("GET", "/v1/fault", 500)]
    assert isinstance(access[0]["duration_ms"], float)


def test_a_schema_is_behind_only_at_an_older_known_revision() -> None:
    from relance.db.migrate import head_revision, is_behind

    assert not is_behind(head_revision())
    assert is_behind(None)
    assert is_behind("0001")
    assert not is_behind("f00dcafe")  # a newer release's, unknown to this code


@pytest.mark.parametrize("log_format", ["json", "console"])
def test_the_log_format_is_chosen_by_setting(log_format) -> None:
    import structlog

    from relance import logs

    root = logging.getLogger()
    saved = root.handlers[:], root.level
    captured = io.StringIO()
    try:
        logs.configure(log_format)
        root.handlers[0].setStream(captured)  # type: ignore[attr-defined]
        structlog.stdlib.get_logger("relance").info("hello", answer=42)
        logging.getLogger("uvicorn.error").info("from uvicorn")
    finally:
        root.handlers, level = saved
        root.setLevel(level)
        logging.getLogger("uvicorn.access").disabled = False
    first, second = captured.getvalue().splitlines()
    if log_format == "json":
        assert json.loads(first)["event"] == "hello" and json.loads(first)["answer"] == 42
        assert json.loads(second)["event"] == "from uvicorn"
    else:
        assert "hello" in first and "answer=42" in first and not first.startswith("{")
        assert "from uvicorn" in second


def test_the_log_cuts_a_long_statement_and_says_how_long_it_was() -> None:
    from sqlalchemy.exc import StatementError

    from relance.api.faults import SQL_LOGGED_CHARS, _describe

    statement = "INSERT INTO t (a) VALUES " + ", ".join("(?)" for _ in range(100_000))
    described = _describe(StatementError("failed", statement, None, ValueError("x")))
    assert described["sql"] == f"{statement[:SQL_LOGGED_CHARS]}… ({len(statement)} characters)"
    short = _describe(StatementError("failed", "SELECT 1", None, ValueError("x")))
    assert short["sql"] == "SELECT 1"
