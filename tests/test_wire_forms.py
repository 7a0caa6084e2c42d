"""What the database writes into a page's JSON (``db.dialect``'s ``json_*``) is what the
API writes everywhere else: its times as ``format_timestamp`` writes them, its durations
as ``seconds_between`` counts them, its ids hyphenated, on each database."""

import random
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import Boolean, Uuid, bindparam, select

from relance.api.schemas import format_timestamp
from relance.calls.service import seconds_between
from relance.db.dialect import json_bool, json_timestamp, json_uuid, json_whole_seconds
from relance.db.types import UTCDateTime, truncate_to_ms

EDGES = [
    datetime(1, 1, 1, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=UTC),
    datetime(2024, 2, 29, 0, 0, tzinfo=UTC),
    datetime(2026, 11, 30, 10, 0, 0, 100000, tzinfo=UTC),
    datetime(2026, 11, 30, 10, 0, 0, 120000, tzinfo=UTC),
    datetime(2026, 11, 30, 10, 0, 59, 999000, tzinfo=UTC),
]


def moments(count: int, seed: int) -> list[datetime]:
    """Stored times (whole milliseconds) of any year the API accepts, and the edges."""
    rng, span = random.Random(seed), (datetime(9999, 12, 31) - datetime(1, 1, 1)).total_seconds()
    drawn = [
        truncate_to_ms(datetime(1, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.random() * span))
        for _ in range(count)
    ]
    return EDGES + drawn


async def test_the_database_writes_times_as_the_api_writes_them(database, backend) -> None:
    times = moments(200, seed=1)
    columns = [
        json_timestamp(backend, bindparam(f"t{i}", type_=UTCDateTime())) for i in range(len(times))
    ]
    async with database.engine.connect() as connection:
        row = (
            await connection.execute(select(*columns), {f"t{i}": t for i, t in enumerate(times)})
        ).one()
    assert list(row) == [format_timestamp(t) for t in times]


async def test_the_database_counts_whole_seconds_as_the_api_counts_them(database, backend) -> None:
    rng = random.Random(2)
    starts = [m for m in moments(100, seed=3) if m.year < 9999]  # room for a day after each
    lengths = [5_000, 0, 999, 1000, 1001, 59_999, 86_400_000] + [
        rng.randrange(0, 86_400_000) for _ in starts
    ]
    pairs = [(s, s + timedelta(milliseconds=n)) for s, n in zip(starts, lengths, strict=False)]
    columns = [
        json_whole_seconds(
            backend,
            bindparam(f"s{i}", type_=UTCDateTime()),
            bindparam(f"e{i}", type_=UTCDateTime()),
        )
        for i in range(len(pairs))
    ]
    values = {}
    for i, (started, ended) in enumerate(pairs):
        values[f"s{i}"], values[f"e{i}"] = started, ended
    async with database.engine.connect() as connection:
        row = (await connection.execute(select(*columns), values)).one()
    assert list(row) == [seconds_between(started, ended) for started, ended in pairs]


async def test_the_database_writes_ids_and_booleans_as_the_api_writes_them(
    database, backend
) -> None:
    ids = [uuid.uuid4() for _ in range(20)]
    columns = [json_uuid(backend, bindparam(f"u{i}", type_=Uuid())) for i in range(len(ids))]
    flags = [json_bool(backend, bindparam(f"b{i}", type_=Boolean())) for i in range(2)]
    values = {f"u{i}": u for i, u in enumerate(ids)} | {"b0": True, "b1": False}
    async with database.engine.connect() as connection:
        row = (await connection.execute(select(*columns, *flags), values)).one()
    assert [str(value) for value in row[: len(ids)]] == [str(u) for u in ids]
    assert [str(value).lower() for value in row[len(ids) :]] == ["true", "false"]


async def test_the_list_shows_each_call_as_the_call_itself_shows_it(tenants) -> None:
    """Fractions PostgreSQL shortens (.100, .120) or drops (.000) read back whole."""
    tenant = await tenants.create()
    [contact] = await tenant.contacts(1)
    sequence_id = await tenant.sequence(contact_ids=[contact])
    times = [("00.000", "59.999"), ("00.100", "01.120"), ("07.120", "09.100")]
    ids = []
    for started, ended in times:
        body = {
            "sequenceId": sequence_id,
            "contactId": contact,
            "status": "COMPLETED",
            "startedAt": f"2026-11-30T10:00:{started}Z",
            "endedAt": f"2026-11-30T10:01:{ended}Z",
        }
        response = await tenant.post("/v1/calls", json=body)
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    [item] = (await tenant.get(f"/v1/sequences/{sequence_id}/contacts")).json()["data"]
    listed = {call["id"]: call for call in item["calls"]}
    assert set(listed) == set(ids)
    for call_id in ids:
        call = (await tenant.get(f"/v1/calls/{call_id}")).json()
        for field in ("startedAt", "endedAt", "createdAt", "durationSeconds", "status"):
            assert listed[call_id][field] == call[field], (field, call)


async def test_the_list_shows_a_call_of_the_first_moment_of_year_one(tenants) -> None:
    """asyncpg stores 0001-01-01T00:00:00.000 as -infinity; the list still shows it, and
    its duration, as the call does."""
    tenant = await tenants.create()
    [contact] = await tenant.contacts(1)
    sequence_id = await tenant.sequence(contact_ids=[contact])
    body = {
        "sequenceId": sequence_id,
        "contactId": contact,
        "status": "COMPLETED",
        "startedAt": "0001-01-01T00:00:00.000Z",
        "endedAt": "0001-01-01T00:00:05.250Z",
    }
    created = await tenant.post("/v1/calls", json=body)
    assert created.status_code == 201, created.text
    listed = await tenant.get(f"/v1/sequences/{sequence_id}/contacts")
    assert listed.status_code == 200, listed.text
    [call] = listed.json()["data"][0]["calls"]
    assert (call["startedAt"], call["endedAt"], call["durationSeconds"]) == (
        "0001-01-01T00:00:00.000Z",
        "0001-01-01T00:00:05.250Z",
        5,
    )
    assert call == {k: v for k, v in created.json().items() if k in call}
