"""Benchmarks: the seed operations on one large sequence, on SQLite and PostgreSQL.

Seeds a sequence of N contacts (BENCH_CONTACTS, default 1,000,000; about ten minutes
for both databases) with plain bulk inserts, statuses spread over the rows and one tag
on 1% of them, then times the API in-process (no network) and counts the SQL statements of
each request. Prints one table. Run with ``make bench``.
"""

import asyncio
import math
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy import insert, update

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from relance.api.app import create_app  # noqa: E402
from relance.db.engine import count_statements  # noqa: E402
from relance.tenancy.database import Database  # noqa: E402
from relance.db.migrate import upgrade_to_head  # noqa: E402
from relance.db.models import (  # noqa: E402
    Contact,
    PhoneNumber,
    SequenceAssignee,
    SequenceContact,
    SequenceContactTag,
    Tag,
)
from relance.db.types import utcnow  # noqa: E402
from relance.settings import Settings  # noqa: E402
from tests.factory import ADMIN_TOKEN, TenantFactory  # noqa: E402

CONTACTS = int(os.environ.get("BENCH_CONTACTS", "1000000"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "30"))
CHUNK = 5000


STATUSES = [None, "RUNNING", "RUNNING", "CONNECTED", "RESPONDER", "ERROR", "CANCELLED", "RUNNING"]
TAGGED_EVERY = 100  # 1% of the sequence carries the tag "hot-lead"


async def seed(database: Database, tenant, sequence_id: str) -> list[uuid.UUID]:  # noqa: ANN001
    """N contacts with a number each, all enrolled round-robin with a spread of statuses,
    1% tagged; loads set to match. Returns spare contacts, not enrolled."""
    workspace_id = uuid.UUID(tenant.workspace_id)
    reps = [uuid.UUID(tenant.wm(i)) for i in range(3)]
    sequence = uuid.UUID(sequence_id)
    now = utcnow()
    spare: list[uuid.UUID] = []
    tag_id = uuid.uuid4()
    async with database.unscoped_session() as session:
        await session.execute(
            insert(Tag).values(id=tag_id, workspace_id=workspace_id, label="hot-lead", label_key="hot-lead",
                               is_success_tag=False, created_at=now, updated_at=now)
        )
        for start in range(0, CONTACTS + 1000, CHUNK):
            ids = [uuid.uuid4() for _ in range(min(CHUNK, CONTACTS + 1000 - start))]
            await session.execute(
                insert(Contact),
                [{"id": i, "workspace_id": workspace_id, "first_name": "Bench", "last_name": f"{start + n}",
                  "email": f"bench{start + n}@example.com", "created_at": now, "updated_at": now}
                 for n, i in enumerate(ids)],
            )
            await session.execute(
                insert(PhoneNumber),
                [{"id": uuid.uuid4(), "contact_id": i, "workspace_id": workspace_id,
                  "number": f"+336{(start + n) % 10**8:08d}", "position": 0, "created_at": now}
                 for n, i in enumerate(ids)],
            )
            enrolled = [i for n, i in enumerate(ids) if start + n < CONTACTS]
            spare += [i for n, i in enumerate(ids) if start + n >= CONTACTS]
            if enrolled:
                rows = [{"id": uuid.uuid4(), "sequence_id": sequence, "contact_id": i, "workspace_id": workspace_id,
                         "assigned_to_workspace_membership_id": reps[(start + n) % 3], "created_at": now,
                         "status": STATUSES[(start + n) % len(STATUSES)]}
                        for n, i in enumerate(enrolled)]
                await session.execute(insert(SequenceContact), rows)
                await session.execute(
                    insert(SequenceContactTag),
                    [{"sequence_contact_id": row["id"], "tag_id": tag_id, "workspace_id": workspace_id, "created_at": now}
                     for n, row in enumerate(rows) if (start + n) % TAGGED_EVERY == 0],
                )
        for index, rep in enumerate(reps):
            await session.execute(
                update(SequenceAssignee)
                .where(SequenceAssignee.sequence_id == sequence, SequenceAssignee.workspace_membership_id == rep)
                .values(active_load=len(range(index, CONTACTS, 3)))
            )
    if database.engine.dialect.name == "postgresql":
        # What autovacuum does to a table of this size in production: statistics for the
        # planner, and a visibility map so that index-only scans skip the heap. Pooled
        # connections are closed first so that none holds back what VACUUM may mark.
        await database.engine.dispose()
        async with database.engine.connect() as conn:
            autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.exec_driver_sql("VACUUM ANALYZE")
    return spare


async def measure(database: Database, call) -> tuple[float, float, int]:  # noqa: ANN001
    timings = []
    statements = 0
    for _ in range(REPEAT):
        with count_statements(database.engine) as counter:
            started = time.perf_counter()
            response = await call()
            timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code < 300, response.text
        statements = counter.count
    timings.sort()
    p95 = timings[min(len(timings) - 1, math.ceil(0.95 * len(timings)) - 1)]
    return statistics.median(timings), p95, statements


async def bench(backend: str, url: str) -> list[tuple]:
    await asyncio.to_thread(upgrade_to_head, url)
    database = Database(url)
    settings = Settings(database_url=url, admin_token=ADMIN_TOKEN, rate_limits='{"EXPERT": 100000000}')
    app = create_app(settings, database=database)
    rows = []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
        tenant = await TenantFactory(client).create()
        sequence_id = await tenant.sequence()
        started = time.perf_counter()
        spare = await seed(database, tenant, sequence_id)
        print(f"{backend}: seeded {CONTACTS:,} contacts in {time.perf_counter() - started:.0f} s", flush=True)
        base = f"/v1/sequences/{sequence_id}"
        last_page = math.ceil(CONTACTS / 50)
        batches = iter([spare[i : i + 100] for i in range(0, len(spare), 100)] * (REPEAT * 2))

        async def add_then_remove():  # noqa: ANN202
            batch = [str(c) for c in next(batches)]
            response = await tenant.post(f"{base}/contacts", json={"contacts": [{"contactId": c} for c in batch]})
            await tenant.delete(f"{base}/contacts", json={"contactIds": batch})
            return response

        cases = [
            ("GET sequence (contactCount)", lambda: tenant.get(base)),
            ("list contacts, page 1, limit 50", lambda: tenant.get(f"{base}/contacts?limit=50")),
            ("list contacts, page 1, limit 100", lambda: tenant.get(f"{base}/contacts?limit=100")),
            ("list contacts, page 100, limit 50", lambda: tenant.get(f"{base}/contacts?page=100&limit=50")),
            (f"list contacts, last page ({last_page:,})", lambda: tenant.get(f"{base}/contacts?page={last_page}&limit=50")),
            ("list contacts, ?status=CONNECTED (12%)", lambda: tenant.get(f"{base}/contacts?status=CONNECTED")),
            ("list contacts, ?status=RUNNING, page 100", lambda: tenant.get(f"{base}/contacts?status=RUNNING&page=100")),
            ("list contacts, ?tag=HOT-LEAD (1%)", lambda: tenant.get(f"{base}/contacts?tag=HOT-LEAD")),
            ("add 100 (round-robin) + remove 100", add_then_remove),
        ]
        for name, call in cases:
            median, p95, statements = await measure(database, call)
            rows.append((backend, name, median, p95, statements))
    await database.dispose()
    return rows


async def main() -> None:
    targets = []
    with tempfile.TemporaryDirectory() as tmp:
        targets.append(("sqlite", f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"))
        if os.environ.get("RELANCE_TEST_POSTGRES_URL"):
            targets.append(("postgresql", os.environ["RELANCE_TEST_POSTGRES_URL"]))
        rows = []
        for backend, url in targets:
            rows += await bench(backend, url)
    print(f"\n{CONTACTS:,} contacts in one sequence, {REPEAT} runs each, in-process (no network)\n")
    print(f"| {'database':<10} | {'operation':<40} | {'p50 ms':>8} | {'p95 ms':>8} | {'SQL statements':>14} |")
    print(f"|{'-' * 12}|{'-' * 42}|{'-' * 10}|{'-' * 10}|{'-' * 16}|")
    for backend, name, median, p95, statements in rows:
        print(f"| {backend:<10} | {name:<40} | {median:>8.1f} | {p95:>8.1f} | {statements:>14} |")


if __name__ == "__main__":
    asyncio.run(main())
