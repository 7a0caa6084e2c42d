"""Fixtures: every API test runs on SQLite and on PostgreSQL, each migrated once per session.

Tests isolate themselves by tenancy rather than by rollback: each test provisions its own
organization through the admin API, and every request commits for real, as in production.

Under pytest-xdist (``make test`` runs ``-n 2``) each worker has databases of its own: its
SQLite file under its own temporary directory, and on PostgreSQL ``relance_test_gw0``,
``relance_test_gw1``, ... created on the suite's server when the worker starts, and named
in that worker's RELANCE_TEST_POSTGRES_URL, so that every test and every process a test
starts reaches the worker's database. The tests that purge, count or migrate a whole
database never see another worker's rows.
"""

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from relance.api.app import create_app
from relance.tenancy.database import Database
from relance.db.migrate import upgrade_to_head
from relance.secretbox import new_key
from relance.settings import Settings
from tests.factory import ADMIN_TOKEN, TenantFactory

BACKENDS = ["sqlite", "postgresql"]
# High enough that only the rate-limit tests, which build their own app, ever hit it.
TEST_DB_TIMEOUT_S = 30.0
GENEROUS_LIMITS = '{"STARTER": 1000000, "INTERMEDIAIRE": 1000000, "EXPERT": 1000000}'
# The operator key webhook secrets are sealed under in every test app: one per run, as an
# operator's would be (tests/test_webhook_secrets.py changes and removes it).
SECRET_KEY = new_key()


def _worker_postgres_url(url: str, worker: str) -> str:
    """The worker's own database beside the suite's one, created when missing."""
    base, _, name = url.rpartition("/")
    own = f"{name}_{worker}"

    async def create() -> None:
        connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            if not await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", own):
                await connection.execute(f'CREATE DATABASE "{own}"')
        finally:
            await connection.close()

    asyncio.run(create())
    return f"{base}/{own}"


def pytest_configure(config: pytest.Config) -> None:
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    url = os.environ.get("RELANCE_TEST_POSTGRES_URL")
    if worker and url:
        os.environ["RELANCE_TEST_POSTGRES_URL"] = _worker_postgres_url(url, worker)


def database_url(backend: str, tmp_dir: Path) -> str:
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_dir / 'relance-test.db'}"
    url = os.environ.get("RELANCE_TEST_POSTGRES_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("RELANCE_TEST_POSTGRES_URL is not set: run the suite with `make test`")
        pytest.skip("RELANCE_TEST_POSTGRES_URL is not set (make test starts PostgreSQL)")
    return url


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
async def database(backend: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Database]:
    url = database_url(backend, tmp_path_factory.mktemp(backend))
    # Alembic's env runs its own event loop, so it migrates from a worker thread.
    await asyncio.to_thread(upgrade_to_head, url)
    # A wait bound far above production's 5 s: here it only guards against a hang, and on a
    # busy machine (the workers, schemathesis and the servers the tests start share its
    # cores) a transaction of the race tests may wait longer than 5 s for SQLite's writer.
    # The tests of the timeout itself build a Database of their own with a short one.
    db = Database(url, timeout_s=TEST_DB_TIMEOUT_S)
    yield db
    await db.dispose()


def make_settings(database: Database, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database.url,
        "admin_token": ADMIN_TOKEN,
        "rate_limits": GENEROUS_LIMITS,
        # The tests of wrong admin tokens send many; one test checks the limit itself.
        "admin_failures_per_minute": 1_000_000,
        # The event feed at once (test_events_outbox checks the settling on its own app).
        "event_feed_settle_s": 0,
        "secret_key": SECRET_KEY,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture(scope="session")
def app(database: Database):  # noqa: ANN201
    return create_app(make_settings(database), database=database)


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:  # noqa: ANN001
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://relance.test") as c:
        yield c


@pytest.fixture
def tenants(client: httpx.AsyncClient) -> TenantFactory:
    return TenantFactory(client)
