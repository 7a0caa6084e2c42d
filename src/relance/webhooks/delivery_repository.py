"""Queries of the dispatcher (``webhooks.dispatcher``): claiming due deliveries, and
recording what an attempt got. They run on unscoped sessions: a dispatcher serves every
tenant."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from relance.db.dialect import claiming
from relance.db.models_webhooks import Event, WebhookDelivery, WebhookEndpoint
from relance.events.outbox import PENDING


@dataclass(frozen=True)
class Claimed:
    """A delivery a dispatcher holds until ``lease_until``, with what it sends."""

    delivery_id: uuid.UUID
    attempts: int  # before this attempt
    endpoint_id: uuid.UUID
    url: str
    secrets: tuple[str, ...]  # as stored: sealed (relance.secretbox)
    event_id: uuid.UUID
    event_type: str
    event_data: dict[str, Any]
    event_created_at: datetime


async def anything_due(session: AsyncSession, *, now: datetime) -> bool:
    """Whether some pending delivery is due (a read: an idle dispatcher takes no lock)."""
    due = select(WebhookDelivery.id).where(
        WebhookDelivery.status == PENDING, WebhookDelivery.next_attempt_at <= now
    )
    return await session.scalar(select(exists(due))) or False


def _due_heads(*, now: datetime, limit: int, endpoint_id: uuid.UUID | None = None) -> Any:
    """Up to ``limit`` due deliveries, each the oldest pending one of its enabled endpoint
    (of ``endpoint_id`` only, when given), the longest due first.

    Read from the endpoints' side: each enabled endpoint's head is one seek of its queue's
    index, so that a claim costs what the endpoints do, not what is queued behind their
    heads (a head in flight or waiting for its retry would make a scan of the due
    deliveries walk its whole backlog, on every round). On PostgreSQL that index
    (endpoint, status, event) is the only one in event order (``models_webhooks``): with
    statistics, it would pick any other for this LIMIT 1 and walk the delivered history."""
    endpoint = [] if endpoint_id is None else [WebhookEndpoint.id == endpoint_id]
    head = aliased(WebhookDelivery)
    heads = (
        select(
            WebhookEndpoint.id.label("endpoint_id"),
            select(head.id)
            .where(head.endpoint_id == WebhookEndpoint.id, head.status == PENDING)
            .order_by(head.event_position)
            .limit(1)
            .correlate(WebhookEndpoint)
            .scalar_subquery()
            .label("delivery_id"),
        )
        .where(WebhookEndpoint.disabled_at.is_(None), *endpoint)
        # Worked out first, whatever the planner would prefer: otherwise SQLite walks the
        # due deliveries by their index and looks for each one's endpoint's head.
        .cte("heads")
        .prefix_with("MATERIALIZED")
    )
    statement = (
        select(
            WebhookDelivery.id,
            WebhookDelivery.attempts,
            WebhookEndpoint.id,
            WebhookEndpoint.url,
            WebhookEndpoint.secret,
            WebhookEndpoint.previous_secret,
            WebhookEndpoint.previous_secret_until,
            Event.id,
            Event.type,
            Event.data,
            Event.created_at,
        )
        .select_from(heads)
        .join(WebhookDelivery, WebhookDelivery.id == heads.c.delivery_id)
        .join(WebhookEndpoint, WebhookEndpoint.id == heads.c.endpoint_id)
        .join(Event, Event.position == WebhookDelivery.event_position)
        .where(
            # The head's own row checked again: PostgreSQL's SKIP LOCKED claim rechecks
            # these on a row another dispatcher has just changed.
            WebhookDelivery.status == PENDING,
            WebhookDelivery.next_attempt_at <= now,
        )
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.event_position)
        .limit(limit)
    )
    return statement


async def claim(
    session: AsyncSession, *, now: datetime, lease_until: datetime, limit: int
) -> list[Claimed]:
    """Up to ``limit`` due deliveries, each the oldest pending one of its enabled endpoint
    (an endpoint gets one message at a time, in order), leased until ``lease_until``."""
    return await _lease(session, _due_heads(now=now, limit=limit), now, lease_until)


async def claim_next(
    session: AsyncSession, *, endpoint_id: uuid.UUID, now: datetime, lease_until: datetime
) -> Claimed | None:
    """The endpoint's next message if it is due, leased: what the attempt that has just
    ended (and is recorded in this transaction) sends next."""
    claimed = await _lease(
        session, _due_heads(now=now, limit=1, endpoint_id=endpoint_id), now, lease_until
    )
    return claimed[0] if claimed else None


async def _lease(
    session: AsyncSession, statement: Any, now: datetime, lease_until: datetime
) -> list[Claimed]:
    """The deliveries ``statement`` selects, leased until ``lease_until``, with what each
    sends."""
    rows = (await session.execute(claiming(session, statement, of=WebhookDelivery))).all()
    if not rows:
        return []
    await session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id.in_([row[0] for row in rows]))
        .values(next_attempt_at=lease_until)
        .execution_options(synchronize_session=False)
    )
    return [
        Claimed(
            delivery_id=row[0],
            attempts=row[1],
            endpoint_id=row[2],
            url=row[3],
            secrets=(row[4],)
            if row[5] is None or row[6] is None or row[6] <= now
            else (row[4], row[5]),
            event_id=row[7],
            event_type=row[8],
            event_data=row[9],
            event_created_at=row[10],
        )
        for row in rows
    ]


async def record_attempt(
    session: AsyncSession,
    *,
    claimed: Claimed,
    at: datetime,
    status: str,
    status_code: int | None,
    error: str | None,
    next_attempt_at: datetime | None,
) -> bool:
    """Write an attempt's outcome, unless the delivery moved since it was claimed (a
    replay, or another dispatcher after the lease ran out); whether it was written."""
    result = await session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == claimed.delivery_id,
            WebhookDelivery.status == PENDING,
            WebhookDelivery.attempts == claimed.attempts,
        )
        .values(
            status=status,
            attempts=claimed.attempts + 1,
            last_attempt_at=at,
            last_status_code=status_code,
            last_error=error,
            next_attempt_at=next_attempt_at,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def disable(
    session: AsyncSession, *, endpoint_id: uuid.UUID, at: datetime, reason: str
) -> None:
    await session.execute(
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.disabled_at.is_(None))
        .values(disabled_at=at, disabled_reason=reason, updated_at=at)
        .execution_options(synchronize_session=False)
    )
