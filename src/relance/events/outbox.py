"""Recording events: one row per event, and one pending delivery per subscribed webhook
endpoint, in the transaction of the change they tell of.

A change that commits has its events (a 2xx means they are durable); one that rolls back
has none. ``record`` issues three statements whatever the number of events (none when
there are none), so that the requests that record them keep a constant statement count.
"""

import enum
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from relance.db.models_webhooks import Event
from relance.db.types import new_id, utcnow
from relance.events import repository


class EventType(enum.StrEnum):
    SEQUENCE_CONTACT_ADDED = "sequence_contact.added"
    SEQUENCE_CONTACT_REMOVED = "sequence_contact.removed"
    SEQUENCE_CONTACT_STATUS_CHANGED = "sequence_contact.status_changed"
    SEQUENCE_CONTACT_PAUSED = "sequence_contact.paused"
    SEQUENCE_CONTACT_RESUMED = "sequence_contact.resumed"
    SEQUENCE_CONTACT_FINISHED = "sequence_contact.finished"
    CALL_CREATED = "call.created"
    CALL_UPDATED = "call.updated"
    WEBHOOK_TEST = "webhook.test"


# What an endpoint subscribes to when it names no types: every type but the test, which
# goes to the one endpoint it is asked of whatever it subscribes to.
SUBSCRIBABLE = tuple(t for t in EventType if t is not EventType.WEBHOOK_TEST)

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"


@dataclass(frozen=True)
class NewEvent:
    workspace_id: uuid.UUID
    type: EventType
    data: dict[str, Any]


def timestamp(moment: datetime) -> str:
    """ISO 8601 UTC with milliseconds, as every timestamp of the API."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def text(value: uuid.UUID | None) -> str | None:
    return None if value is None else str(value)


def body(event: Event) -> dict[str, Any]:
    """The event as the feed shows it and a webhook receives it."""
    return {
        "id": str(event.id),
        "type": event.type,
        "timestamp": timestamp(event.created_at),
        "data": event.data,
    }


def encode_types(types: Collection[str]) -> str:
    """An endpoint's subscription as stored: ``,a,b,`` (see ``WebhookEndpoint``)."""
    return "," + ",".join(sorted(types)) + ","


def decode_types(stored: str) -> list[str]:
    return [t for t in stored.split(",") if t]


async def record(
    session: AsyncSession, events: Sequence[NewEvent], *, endpoint_id: uuid.UUID | None = None
) -> list[uuid.UUID]:
    """Record these events, stamped now, in this order, each queued to every endpoint of
    its workspace subscribed to its type (disabled ones included: they receive their
    backlog once enabled again), or to ``endpoint_id`` alone; returns the events' ids."""
    if not events:
        return []
    now = utcnow()
    rows: list[dict[str, Any]] = [
        {
            "id": new_id(),
            "workspace_id": e.workspace_id,
            "type": e.type.value,
            "data": e.data,
            "created_at": now,
        }
        for e in events
    ]
    positions = await repository.insert_events(session, rows)
    endpoints = await repository.endpoints_of(
        session,
        workspace_ids={e.workspace_id for e in events},
        endpoint_id=endpoint_id,
    )
    deliveries = [
        {
            "id": new_id(),
            "workspace_id": row["workspace_id"],
            "endpoint_id": endpoint.id,
            "event_position": positions[row["id"]],
            "status": PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for row in rows
        for endpoint in endpoints
        if endpoint.workspace_id == row["workspace_id"]
        and (endpoint_id is not None or f",{row['type']}," in endpoint.event_types)
    ]
    await repository.insert_deliveries(session, deliveries)
    return [row["id"] for row in rows]
