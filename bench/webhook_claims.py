"""``python -m bench.webhook_claims``: what the dispatcher's claim costs behind a backlog.

A dispatcher claims the due head of every enabled endpoint each round
(``webhooks.delivery_repository.claim``). Here two endpoints have ``backlog`` pending
deliveries each, all due, and the first endpoint's head is in flight (leased): the claim
must hand out the second endpoint's head and nothing of the first's. The claim is timed
in process, on the database, at each backlog, and its p50 compared with the smallest
backlog's in the same run: the target is a claim that costs what the endpoints do, not
what is queued (≤ 1.5× from the smallest backlog to the largest).

Everything runs in one transaction that is rolled back at the end (each claim in a
savepoint of its own): the database is left as it was, so that the test of the harness can
run it on the suite's databases.
"""

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sqlalchemy import delete, func, insert, select  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncSession  # noqa: E402

from bench.load import provision  # noqa: E402
from relance.db.migrate import upgrade_to_head  # noqa: E402
from relance.db.models_webhooks import Event, WebhookDelivery, WebhookEndpoint  # noqa: E402
from relance.db.types import utcnow  # noqa: E402
from relance.events.outbox import DELIVERED, PENDING  # noqa: E402
from relance.tenancy.database import Database  # noqa: E402
from relance.webhooks import delivery_repository  # noqa: E402

TARGET_RATIO = 1.5
LIMIT = 32  # what one dispatcher claims at most (``webhooks.dispatcher.CONCURRENCY``)
LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Claims:
    backlog: int  # pending deliveries per endpoint
    p50_ms: float
    claimed: int  # of this run's endpoints: 1 when right


class _RollBack(Exception):
    pass


async def fill(session: AsyncSession, backlog: int, *, delivered: int = 0) -> list[uuid.UUID]:
    """Two endpoints with ``backlog`` due deliveries each, the first one's head leased,
    after ``delivered`` delivered ones each; their ids."""
    tenant = await provision(session)
    now = utcnow()
    endpoints = [uuid.uuid4(), uuid.uuid4()]
    await session.execute(
        insert(WebhookEndpoint),
        [
            {
                "id": endpoint,
                "workspace_id": tenant.workspace_id,
                "url": "http://127.0.0.1:9/hook",
                "event_types": ",*,",
                "secret": "whsec_bench",
                "created_at": now,
                "updated_at": now,
            }
            for endpoint in endpoints
        ],
    )
    for status, count in ((DELIVERED, delivered), (PENDING, backlog)):
        if not count:
            continue
        first, last = await _events(session, tenant.workspace_id, count)
        rows = []
        for position in range(first, last + 1):
            for index, endpoint in enumerate(endpoints):
                in_flight = status == PENDING and position == first and index == 0
                rows.append(
                    {
                        "workspace_id": tenant.workspace_id,
                        "endpoint_id": endpoint,
                        "event_position": position,
                        "status": status,
                        "attempts": 0 if status == PENDING else 1,
                        # Due long before anything else in the database: the claim's
                        # order (by due time) reaches them first, whatever else is queued.
                        "next_attempt_at": None
                        if status != PENDING
                        else now + timedelta(minutes=1)
                        if in_flight
                        else LONG_AGO + timedelta(seconds=position - first),
                        "created_at": now,
                    }
                )
        await session.execute(insert(WebhookDelivery), rows)
    return endpoints


async def _events(session: AsyncSession, workspace_id: uuid.UUID, count: int) -> tuple[int, int]:
    """``count`` events of the workspace; their first and last positions."""
    events = [uuid.uuid4() for _ in range(count)]
    await session.execute(
        insert(Event),
        [
            {"id": event, "workspace_id": workspace_id, "type": "bench", "data": {}}
            for event in events
        ],
    )
    first, last = (
        await session.execute(
            select(func.min(Event.position), func.max(Event.position)).where(
                Event.id.in_([events[0], events[-1]])
            )
        )
    ).one()
    return first, last


async def empty(session: AsyncSession, endpoints: list[uuid.UUID]) -> None:
    """Remove what ``fill`` made for these endpoints (its events stay)."""
    await session.execute(delete(WebhookDelivery).where(WebhookDelivery.endpoint_id.in_(endpoints)))
    await session.execute(delete(WebhookEndpoint).where(WebhookEndpoint.id.in_(endpoints)))


async def claims(database: Database, *, backlog: int, samples: int) -> Claims:
    """The claim's p50 behind ``backlog``, and how many of the run's endpoints it served."""
    times: list[float] = []
    served = 0
    try:
        async with database.unscoped_session() as session:
            endpoints = await fill(session, backlog)
            for _ in range(samples):
                savepoint = await session.begin_nested()
                now = utcnow()
                started = time.perf_counter()
                claimed = await delivery_repository.claim(
                    session, now=now, lease_until=now + timedelta(minutes=1), limit=LIMIT
                )
                times.append(time.perf_counter() - started)
                served = sum(1 for c in claimed if c.endpoint_id in endpoints)
                await savepoint.rollback()
            raise _RollBack
    except _RollBack:
        pass
    return Claims(backlog, statistics.median(times) * 1000, served)


def table(rows: dict[str, list[Claims]]) -> str:
    lines = [
        "| database | pending per endpoint | claim p50 ms | ratio to the smallest | target "
        "| result |",
        "| --- | ---: | ---: | ---: | --- | --- |",
    ]
    for database, measured in rows.items():
        smallest = measured[0].p50_ms
        for row in measured:
            ratio = row.p50_ms / smallest
            result = "PASS" if ratio <= TARGET_RATIO and row.claimed == 1 else "**FAIL**"
            lines.append(
                f"| {database} | {row.backlog:,} | {row.p50_ms:.2f} | {ratio:.2f}× "
                f"| ≤ {TARGET_RATIO}× | {result} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.webhook_claims", description=__doc__)
    parser.add_argument("--databases", default=os.environ.get("BENCH_DATABASES", "sqlite"))
    parser.add_argument("--backlogs", default="100,10000,100000")
    parser.add_argument("--samples", type=int, default=15)
    parser.add_argument("--postgres-url", default=os.environ.get("RELANCE_BENCH_POSTGRES_URL", ""))
    args = parser.parse_args(argv)
    backlogs = [int(b) for b in args.backlogs.split(",")]
    rows: dict[str, list[Claims]] = {}
    with tempfile.TemporaryDirectory(prefix="relance-claims-") as tmp:
        for database in args.databases.split(","):
            url = (
                f"sqlite+aiosqlite:///{Path(tmp) / 'claims.db'}"
                if database == "sqlite"
                else args.postgres_url
            )
            upgrade_to_head(url)
            rows[database] = asyncio.run(_measure(url, backlogs, args.samples))
    print(
        "\nThe webhook dispatcher's claim, in process, behind two endpoints' backlogs "
        "(the first one's oldest message in flight)\n"
    )
    print(table(rows))
    return 0


async def _measure(url: str, backlogs: list[int], samples: int) -> list[Claims]:
    database = Database(url, timeout_s=3600)
    try:
        out = []
        for backlog in backlogs:
            out.append(await claims(database, backlog=backlog, samples=samples))
            print(f"{url.split(':')[0]}: {out[-1]}", file=sys.stderr, flush=True)
        return out
    finally:
        await database.dispose()


if __name__ == "__main__":
    sys.exit(main())
