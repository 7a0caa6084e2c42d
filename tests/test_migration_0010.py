"""Webhook secrets written in the clear under 0009 come out of 0010 sealed under
RELANCE_SECRET_KEY's first key, or, without a key, as they were (clear secrets Relance
still reads); downgrading opens them again."""

import asyncio
import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.ext.asyncio import create_async_engine

from relance.db.migrate import alembic_config
from relance.secretbox import SecretBox, is_clear, new_key
from relance.webhooks.service import new_secret
from tests.test_migrations import fresh_url  # noqa: F401  (the fixture)

endpoints = sa.table(
    "webhook_endpoints",
    *(sa.column(n, sa.Uuid) for n in ("id", "workspace_id")),
    *(sa.column(n, sa.String) for n in ("url", "event_types", "secret", "previous_secret")),
    *(sa.column(n, sa.DateTime) for n in ("created_at", "updated_at", "previous_secret_until")),
)


async def _endpoints_under_0009(url: str) -> dict[uuid.UUID, tuple[str, str | None]]:
    """Two endpoints with clear secrets, one of them mid-rotation; their ids and secrets."""
    await asyncio.to_thread(command.upgrade, alembic_config(url), "0009")
    from relance.db.models import Base

    table = Base.metadata.tables
    moment = datetime(2026, 12, 1, 12, 0, 0)
    org, workspace = uuid.uuid4(), uuid.uuid4()
    secrets = {uuid.uuid4(): (new_secret(), new_secret()), uuid.uuid4(): (new_secret(), None)}
    engine = create_async_engine(url)
    async with engine.begin() as connection:
        await connection.execute(table["organizations"].insert().values(
            id=org, name="O", plan="EXPERT", subscription_status="ACTIVE", created_at=moment.replace(tzinfo=UTC)))
        await connection.execute(table["workspaces"].insert().values(
            id=workspace, organization_id=org, name="W", created_at=moment.replace(tzinfo=UTC)))
        for endpoint_id, (secret, previous) in secrets.items():
            await connection.execute(endpoints.insert().values(
                id=endpoint_id, workspace_id=workspace, url="https://example.com/hook", event_types=",call.created,",
                secret=secret, previous_secret=previous, previous_secret_until=moment if previous else None,
                created_at=moment, updated_at=moment))
    await engine.dispose()
    return secrets


async def _rows(url: str) -> dict[uuid.UUID, tuple[str, str | None]]:
    engine = create_async_engine(url)
    async with engine.connect() as connection:
        rows = (await connection.execute(
            sa.select(endpoints.c.id, endpoints.c.secret, endpoints.c.previous_secret))).all()
    await engine.dispose()
    return {row[0]: (row[1], row[2]) for row in rows}


async def test_0010_seals_the_clear_secrets_under_the_first_key_and_downgrading_opens_them(
    fresh_url: str, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    secrets = await _endpoints_under_0009(fresh_url)
    first, second = new_key(), new_key()
    monkeypatch.setenv("RELANCE_SECRET_KEY", f"{first},{second}")
    await asyncio.to_thread(command.upgrade, alembic_config(fresh_url), "0010")
    rows = await _rows(fresh_url)
    assert set(rows) == set(secrets)
    box = SecretBox([first])
    for endpoint_id, (secret, previous) in secrets.items():
        sealed, sealed_previous = rows[endpoint_id]
        assert not is_clear(sealed) and secret.removeprefix("whsec_") not in sealed
        assert box.open(sealed) == secret
        assert (None if sealed_previous is None else box.open(sealed_previous)) == previous
    await asyncio.to_thread(command.downgrade, alembic_config(fresh_url), "0009")
    assert await _rows(fresh_url) == secrets


async def test_0010_without_a_key_leaves_the_secrets_clear_for_relance_to_read(
    fresh_url: str, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    secrets = await _endpoints_under_0009(fresh_url)
    monkeypatch.delenv("RELANCE_SECRET_KEY", raising=False)
    await asyncio.to_thread(command.upgrade, alembic_config(fresh_url), "0010")
    rows = await _rows(fresh_url)
    assert rows == secrets
    box = SecretBox([new_key()])
    assert {k: box.open(v[0]) for k, v in rows.items()} == {k: v[0] for k, v in secrets.items()}
