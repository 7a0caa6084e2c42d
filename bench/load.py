"""Loading the benchmark's data in bulk, and checking it against a recount.

One transaction: the tenant through ``relance.tenancy.service`` (as the admin API
provisions one), then the generated rows (``bench.dataset``) with bulk statements:
executemany on SQLite, COPY on PostgreSQL. On PostgreSQL, ``VACUUM ANALYZE`` afterwards,
as autovacuum would have run on tables of this size.
"""

import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bench.dataset import BASE, COMMON_TAG, RARE_TAG, TAGS, Chunk, Generator, Tally, Tenant
from relance.db.models import (
    Base,
    Sequence,
    SequenceAssignee,
    SequenceContact,
    SequenceContactTag,
    SequenceStatusCount,
    SequenceTagCount,
    Tag,
)
from relance.enrolments import statuses
from relance.plans import Plan, SubscriptionStatus
from relance.tenancy import service as tenancy
from relance.tenancy.database import Database
from relance.tenancy.scope import mark_unscoped

ASSIGNEES = 5
CHUNK = 5000  # enrolments generated and inserted at a time
TABLES = Base.metadata.tables


@dataclass
class Dataset:
    """What was loaded: how to reach it through the API, and what it must answer."""

    api_key: str
    big: Tally
    small: Tally
    spare: list[uuid.UUID]  # contacts in no sequence, for the adds
    assignees: list[uuid.UUID]  # workspace memberships, in the sequences' order (the reps)
    rare_tag: str
    common_tag: str
    seconds: float


class CheckFailed(AssertionError):
    """The loaded rows do not add up to what the API would have left."""


async def load(
    database: Database, *, contacts: int, small: int = 1000, spare: int = 10000, vacuum: bool = True
) -> Dataset:
    """Provision a tenant and load two sequences and spare contacts; the schema must exist."""
    started = time.perf_counter()
    async with database.unscoped_session() as session:
        tenant = await provision(session)
        generator = Generator(tenant)
        await _tags(session, tenant, generator.tag_ids)
        big = await _sequence(session, generator, "Benchmark, big")
        small_tally = await _sequence(session, generator, "Benchmark, small")
        for tally, rows in ((big, contacts), (small_tally, small)):
            for start in range(0, rows, CHUNK):
                await _insert(session, generator.enrolments(tally, min(CHUNK, rows - start)))
        chunk, spare_ids = generator.spare(spare)
        await _insert(session, chunk)
        for tally in (big, small_tally):
            await _assignees(session, generator, tally)
            await _counts(session, generator, tally)
    if vacuum and database.engine.dialect.name == "postgresql":
        await _vacuum(database)
    return Dataset(
        api_key=tenant.api_key,
        big=big,
        small=small_tally,
        spare=spare_ids,
        assignees=tenant.assignees,
        rare_tag=RARE_TAG,
        common_tag=COMMON_TAG,
        seconds=time.perf_counter() - started,
    )


async def provision(session: AsyncSession) -> Tenant:
    """An EXPERT organization, a workspace, its assignees and an API key."""
    organization = await tenancy.create_organization(
        session, name="Benchmark", plan=Plan.EXPERT, subscription_status=SubscriptionStatus.ACTIVE
    )
    workspace = await tenancy.create_workspace(
        session, organization_id=organization.id, name="Sales"
    )
    members = []
    for index in range(ASSIGNEES):
        new = await tenancy.create_member(
            session,
            organization_id=organization.id,
            email=f"rep{index}@bench.example.com",
            first_name=f"Rep{index}",
            last_name="Bench",
            workspace_ids=[workspace.id],
        )
        members.append(new)
    key = await tenancy.create_api_key(
        session, organization_id=organization.id, name="bench", mode="live"
    )
    return Tenant(
        workspace_id=workspace.id,
        creator_id=members[0].membership.id,
        assignees=[m.workspace_memberships[0].id for m in members],
        api_key=key.clear_key,
    )


async def _tags(session: AsyncSession, tenant: Tenant, ids: dict[str, uuid.UUID]) -> None:
    """The workspace's tags."""
    await session.execute(
        Tag.__table__.insert(),
        [
            {
                "id": ids[label],
                "workspace_id": tenant.workspace_id,
                "label": label,
                "label_key": label.casefold(),
                "is_success_tag": success,
                "created_at": BASE,
                "updated_at": BASE,
            }
            for label, _, success in TAGS
        ],
    )


async def _sequence(session: AsyncSession, generator: Generator, name: str) -> Tally:
    """A sequence row; its assignee rows come last, once their loads are known."""
    sequence_id = generator.new_id()
    await session.execute(
        Sequence.__table__.insert(),
        [
            {
                "id": sequence_id,
                "workspace_id": generator.tenant.workspace_id,
                "name": name,
                "creator_membership_id": generator.tenant.creator_id,
                "is_continuous": False,
                "filter": None,
                "created_at": BASE,
                "updated_at": BASE,
                "deleted_at": None,
            }
        ],
    )
    return Tally(sequence_id=sequence_id)


async def _assignees(session: AsyncSession, generator: Generator, tally: Tally) -> None:
    """The sequence's assignee rows, each load the count of its active rows."""
    tenant = generator.tenant
    await session.execute(
        SequenceAssignee.__table__.insert(),
        [
            {
                "id": generator.new_id(),
                "sequence_id": tally.sequence_id,
                "workspace_id": tenant.workspace_id,
                "workspace_membership_id": assignee,
                "position": position,
                "is_assignee": True,
                "active_load": tally.loads[assignee],
            }
            for position, assignee in enumerate(tenant.assignees)
        ],
    )


async def _counts(session: AsyncSession, generator: Generator, tally: Tally) -> None:
    """The sequence's counts of active rows per status and per tag, as generated."""
    workspace_id = generator.tenant.workspace_id
    statuses_rows = [
        {
            "sequence_id": tally.sequence_id,
            "status": s,
            "workspace_id": workspace_id,
            "active_count": n,
        }
        for s, n in tally.by_status.items()
        if s is not None
    ]
    tag_rows = [
        {
            "sequence_id": tally.sequence_id,
            "tag_id": generator.tag_ids[label],
            "workspace_id": workspace_id,
            "active_count": n,
        }
        for label, n in tally.by_tag.items()
    ]
    for model, rows in ((SequenceStatusCount, statuses_rows), (SequenceTagCount, tag_rows)):
        if rows:
            await session.execute(model.__table__.insert(), rows)


def _is_sqlite(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "sqlite"


async def _insert(session: AsyncSession, chunk: Chunk) -> None:
    """Every table of the chunk, in foreign-key order, one bulk statement each."""
    if _is_sqlite(session):
        for name, rows in chunk.tables():
            if rows:
                await session.execute(TABLES[name].insert(), rows)
        return
    connection = await (await session.connection()).get_raw_connection()
    driver = connection.driver_connection  # asyncpg, inside the session's transaction
    for name, rows in chunk.tables():
        if rows:
            columns = list(rows[0])
            await driver.copy_records_to_table(
                name,
                columns=columns,
                records=[tuple(_copyable(row[c]) for c in columns) for row in rows],
            )


def _copyable(value: object) -> object:
    """A value as COPY takes it: timestamps naive in UTC, as ``UTCDateTime`` stores them."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


async def _vacuum(database: Database) -> None:
    """Statistics for the planner and a visibility map for index-only scans.

    Pooled connections are closed first so that none holds back what VACUUM may mark."""
    await database.engine.dispose()
    async with database.engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.exec_driver_sql("VACUUM ANALYZE")


async def check(database: Database, dataset: Dataset) -> None:
    """Recount what the API maintains and derives; raise ``CheckFailed`` on any difference."""
    async with database.unscoped_session(write=False) as session:
        for tally in (dataset.big, dataset.small):
            await _check_loads(session, tally)
            await _check_statuses_counted(session, tally)
            await _check_counts(session, tally)
    await _check_statuses_derived(database, {**dataset.big.sample, **dataset.small.sample})


async def _pairs(session: AsyncSession, statement: Select) -> dict:
    """The rows of a two-column SELECT as a dict."""
    return {key: value for key, value in (await session.execute(statement)).all()}


async def _check_loads(session: AsyncSession, tally: Tally) -> None:
    """Each assignee's ``active_load`` is its count of active rows, and they add up."""
    stored = await _pairs(
        session,
        select(SequenceAssignee.workspace_membership_id, SequenceAssignee.active_load).where(
            SequenceAssignee.sequence_id == tally.sequence_id
        ),
    )
    assignee = SequenceContact.assigned_to_workspace_membership_id
    counted = await _pairs(
        session,
        select(assignee, func.count()).where(*_active(tally)).group_by(assignee),
    )
    if any(stored.get(a, 0) != counted.get(a, 0) for a in set(stored) | set(counted)):
        raise CheckFailed(f"sequence {tally.sequence_id}: loads {stored} but active rows {counted}")
    if sum(stored.values()) != tally.active:
        raise CheckFailed(
            f"sequence {tally.sequence_id}: loads add up to {sum(stored.values())}, "
            f"not the {tally.active} active rows generated"
        )


async def _check_statuses_counted(session: AsyncSession, tally: Tally) -> None:
    """The active rows by stored status are those generated."""
    status = SequenceContact.status
    counted = await _pairs(
        session, select(status, func.count()).where(*_active(tally)).group_by(status)
    )
    if counted != dict(tally.by_status):
        raise CheckFailed(
            f"sequence {tally.sequence_id}: statuses {counted}, generated {dict(tally.by_status)}"
        )


async def _check_counts(session: AsyncSession, tally: Tally) -> None:
    """The maintained counts per status and per tag are those of a recount."""
    stored_statuses = await _pairs(
        session,
        select(SequenceStatusCount.status, SequenceStatusCount.active_count).where(
            SequenceStatusCount.sequence_id == tally.sequence_id
        ),
    )
    status = SequenceContact.status
    counted_statuses = await _pairs(
        session,
        select(status, func.count()).where(*_active(tally), status.is_not(None)).group_by(status),
    )
    link = SequenceContactTag
    stored_tags = await _pairs(
        session,
        select(SequenceTagCount.tag_id, SequenceTagCount.active_count).where(
            SequenceTagCount.sequence_id == tally.sequence_id
        ),
    )
    counted_tags = await _pairs(
        session,
        select(link.tag_id, func.count())
        .join(SequenceContact, SequenceContact.id == link.sequence_contact_id)
        .where(*_active(tally))
        .group_by(link.tag_id),
    )
    for what, stored, counted in (
        ("statuses", stored_statuses, counted_statuses),
        ("tags", stored_tags, counted_tags),
    ):
        if {k: v for k, v in stored.items() if v} != counted:
            raise CheckFailed(
                f"sequence {tally.sequence_id}: counts of {what} {stored}, recount {counted}"
            )


def _active(tally: Tally) -> tuple:
    """The conditions of the sequence's active rows."""
    return (SequenceContact.sequence_id == tally.sequence_id, SequenceContact.deleted_at.is_(None))


class _RollBack(Exception):
    """Leaves the status check's transaction without committing what it refreshed."""


async def _check_statuses_derived(database: Database, sample: dict[uuid.UUID, str | None]) -> None:
    """The sample's stored statuses are those generated, and ``statuses.refresh`` leaves
    them and the other columns it derives as they are (in a transaction rolled back)."""
    derived = (
        SequenceContact.status,
        SequenceContact.attempts,
        SequenceContact.last_attempt_at,
        SequenceContact.call_under_way,
        SequenceContact.zone_key,
    )

    async def stored(session: AsyncSession) -> dict[uuid.UUID, tuple]:
        rows = await session.execute(
            select(SequenceContact.id, *derived).where(SequenceContact.id.in_(list(sample)))
        )
        return {row[0]: tuple(row[1:]) for row in rows.all()}

    try:
        async with database.session(write=True) as session:
            mark_unscoped(session)
            before = await stored(session)
            await statuses.refresh(session, enrolment_ids=list(sample))
            after = await stored(session)
            raise _RollBack
    except _RollBack:
        pass
    generated = {key: row[0] for key, row in before.items()}
    if generated != sample:
        raise CheckFailed(
            f"of {len(sample)} sampled enrolments, {len(before)} found, and "
            f"{sum(generated.get(k, 0) != v for k, v in sample.items())} not as generated"
        )
    differ = {key: (before[key], after[key]) for key in before if before[key] != after[key]}
    if differ:
        raise CheckFailed(
            f"{len(differ)} of {len(sample)} stored enrolments differ from the rule's "
            f"(stored, derived): {dict(list(differ.items())[:5])}"
        )
