"""Queries of the outbox (``events.outbox``)."""

import uuid
from collections.abc import Collection

from sqlalchemy import Row, bindparam, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from relance.db.models_webhooks import Event, WebhookDelivery, WebhookEndpoint

# Core statements given their rows at execution: SQLAlchemy sends them as one multi-row
# INSERT per thousand rows, compiled once for every batch of them.
_EVENTS = Event.__table__
_INSERT_EVENTS = insert(_EVENTS).returning(_EVENTS.c.id, _EVENTS.c.position)
_INSERT_DELIVERIES = insert(WebhookDelivery.__table__)
# Read with every change that records an event: built once, its values bound at execution.
_ENDPOINTS = select(
    WebhookEndpoint.id, WebhookEndpoint.workspace_id, WebhookEndpoint.event_types
).where(WebhookEndpoint.workspace_id.in_(bindparam("workspace_ids", expanding=True)))
_ENDPOINT = _ENDPOINTS.where(WebhookEndpoint.id == bindparam("endpoint_id"))


async def insert_events(session: AsyncSession, rows: list[dict]) -> dict[uuid.UUID, int]:
    """Insert events; returns each one's position by its id."""
    result = await session.execute(_INSERT_EVENTS, rows)
    return {row[0]: row[1] for row in result}


async def endpoints_of(
    session: AsyncSession, *, workspace_ids: Collection[uuid.UUID], endpoint_id: uuid.UUID | None
) -> list[Row]:
    """The endpoints of these workspaces (or the one named), as (id, workspace_id,
    event_types) rows."""
    if endpoint_id is None:
        rows = await session.execute(_ENDPOINTS, {"workspace_ids": list(workspace_ids)})
    else:
        rows = await session.execute(
            _ENDPOINT, {"workspace_ids": list(workspace_ids), "endpoint_id": endpoint_id}
        )
    return list(rows.all())


async def insert_deliveries(session: AsyncSession, rows: list[dict]) -> None:
    if rows:
        await session.execute(_INSERT_DELIVERIES, rows)
