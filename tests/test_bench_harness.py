"""The benchmark harness (bench/) cannot rot: its data adds up to what the API would have
left, its recount catches data that does not, and every operation of its driver answers
as expected from a real ``relance serve``. Nothing here is timed."""

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from bench import driver, load, measure, servers, webhook_claims
from bench.dataset import Tally
from bench.floor import PAYLOAD
from sqlalchemy import func, select, update

from relance.db.models import Call, SequenceAssignee, SequenceContact
from relance.db.models_webhooks import WebhookDelivery
from relance.db.types import utcnow
from relance.tenancy.database import Database

# One request of each operation; wrk's run replaced by one request of what it would send.
SMOKE = measure.Sampling(samples=1, least=1)


@pytest.fixture(scope="module")
def floor(tmp_path_factory: pytest.TempPathFactory) -> Iterator[servers.Server]:
    server = servers.start_floor(tmp_path_factory.mktemp("floor"))
    yield server
    server.stop()


def test_the_floor_answers_a_page_sized_payload(floor: servers.Server) -> None:
    response = measure.Client(floor.port).send("GET", "/floor")
    assert response.status == 200
    assert response.json() == PAYLOAD
    assert 7000 <= len(response.body) <= 8000


async def test_every_operation_answers_on_the_generated_data(
    database: Database, backend: str, floor: servers.Server, tmp_path: Path
) -> None:
    dataset = await load.load(database, contacts=2000, spare=300, vacuum=False)
    await load.check(database, dataset)
    assert (dataset.big.rows, dataset.small.rows) == (2000, 1000)
    assert dataset.big.active == 2000 - 60  # 3 in every 100 soft-deleted
    assert set(dataset.big.by_status) == set(driver.STATUSES) | {None}
    assert dataset.big.by_tag[dataset.rare_tag] < dataset.big.by_tag[dataset.common_tag]

    relance = servers.start_relance(tmp_path, database.url, "relance")
    try:
        results = driver.run(
            floor.port, relance.port, dataset, backend, sampling=SMOKE, wrk_seconds=0
        )
    finally:
        relance.stop()
    # Each operation checked its answers (status, totals, page sizes) as it went: the floor,
    # GET sequence, page 1, two adds and their ratio, the next call, 3 pages of 9 filters,
    # throughput.
    assert len(results) == 1 + 1 + 1 + 3 + 1 + 27 + 1
    # The adds were removed again: the loads still add up.
    await load.check(database, dataset)


async def test_the_claims_benchmark_serves_the_endpoint_not_in_flight_and_leaves_nothing(
    database: Database,
) -> None:
    async with database.unscoped_session() as session:
        before = await session.scalar(select(func.count()).select_from(WebhookDelivery))
    for backlog in (1, 50):
        measured = await webhook_claims.claims(database, backlog=backlog, samples=2)
        # The head in flight holds its endpoint; the other endpoint's head goes out.
        assert (measured.backlog, measured.claimed) == (backlog, 1)
        assert measured.p50_ms > 0
    async with database.unscoped_session() as session:
        after = await session.scalar(select(func.count()).select_from(WebhookDelivery))
    assert after == before  # rolled back
    assert "| sqlite | 50 |" in webhook_claims.table({"sqlite": [measured]})


async def test_the_recount_catches_a_wrong_load_and_a_wrong_status(database: Database) -> None:
    dataset = await load.load(database, contacts=300, small=100, spare=0, vacuum=False)
    await load.check(database, dataset)
    big = dataset.big.sequence_id

    async with database.unscoped_session() as session:
        await session.execute(
            update(SequenceAssignee)
            .where(SequenceAssignee.sequence_id == big, SequenceAssignee.position == 0)
            .values(active_load=SequenceAssignee.active_load + 1)
        )
    with pytest.raises(load.CheckFailed, match="loads"):
        await load.check(database, dataset)
    async with database.unscoped_session() as session:
        await session.execute(
            update(SequenceAssignee)
            .where(SequenceAssignee.sequence_id == big, SequenceAssignee.position == 0)
            .values(active_load=SequenceAssignee.active_load - 1)
        )
    await load.check(database, dataset)

    # Two sampled rows swap statuses: the counts by status still match, the sample does not.
    connected, missing = (_sampled(dataset.big, s) for s in ("CONNECTED", "MISSING_NUMBER"))
    await _set_statuses(database, {connected: "MISSING_NUMBER", missing: "CONNECTED"})
    with pytest.raises(load.CheckFailed, match="not as generated"):
        await load.check(database, dataset)
    await _set_statuses(database, {connected: "CONNECTED", missing: "MISSING_NUMBER"})
    await load.check(database, dataset)

    # A voicemail row's calls say it reached someone: the rule derives another status.
    responder = _sampled(dataset.big, "RESPONDER")
    async with database.unscoped_session() as session:
        contact_id = await session.scalar(
            select(SequenceContact.contact_id).where(SequenceContact.id == responder)
        )
        await session.execute(
            update(Call)
            .where(Call.sequence_id == big, Call.contact_id == contact_id)
            .values(connected_at=utcnow())
        )
    with pytest.raises(load.CheckFailed, match="differ from the rule"):
        await load.check(database, dataset)


async def _set_statuses(database: Database, statuses: dict[uuid.UUID, str]) -> None:
    """Overwrite some stored statuses."""
    async with database.unscoped_session() as session:
        for enrolment_id, status in statuses.items():
            await session.execute(
                update(SequenceContact)
                .where(SequenceContact.id == enrolment_id)
                .values(status=status)
            )


def _sampled(tally: Tally, status: str) -> uuid.UUID:
    """A sampled enrolment id whose generated status is ``status``."""
    return next(i for i, s in tally.sample.items() if s == status)
