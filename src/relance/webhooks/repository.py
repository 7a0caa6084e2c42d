"""Queries of webhook endpoints, their delivery log and replays, and the event feed."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Row, case, delete, func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from relance.db.models_webhooks import Event, WebhookDelivery, WebhookEndpoint
from relance.events.outbox import DELIVERED, FAILED, PENDING


async def get(
    session: AsyncSession, endpoint_id: uuid.UUID, *, for_update: bool = False
) -> WebhookEndpoint | None:
    statement = select(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id)
    if for_update:
        statement = statement.with_for_update().execution_options(populate_existing=True)
    return await session.scalar(statement)


async def insert(session: AsyncSession, endpoint: WebhookEndpoint) -> None:
    session.add(endpoint)
    await session.flush()


async def page(
    session: AsyncSession, *, workspace_id: uuid.UUID | None, offset: int, limit: int
) -> tuple[int, list[WebhookEndpoint]]:
    conditions = [] if workspace_id is None else [WebhookEndpoint.workspace_id == workspace_id]
    total = await session.scalar(
        select(func.count()).select_from(WebhookEndpoint).where(*conditions)
    )
    rows = await session.scalars(
        select(WebhookEndpoint)
        .where(*conditions)
        .order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
        .offset(offset)
        .limit(limit)
    )
    return total or 0, list(rows)


async def delete_endpoint(session: AsyncSession, endpoint_id: uuid.UUID) -> None:
    """The endpoint and its deliveries (the events stay in the feed)."""
    await session.execute(delete(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id))
    await session.execute(delete(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id))


async def deliveries(
    session: AsyncSession, *, endpoint_id: uuid.UUID, status: str | None, offset: int, limit: int
) -> tuple[int, list[Row[Any]]]:
    """A page of an endpoint's deliveries, newest event first, as rows of the delivery and
    its event's id and type."""
    conditions = [WebhookDelivery.endpoint_id == endpoint_id]
    if status is not None:
        conditions.append(WebhookDelivery.status == status)
    total = await session.scalar(
        select(func.count()).select_from(WebhookDelivery).where(*conditions)
    )
    rows = await session.execute(
        select(WebhookDelivery, Event.id, Event.type)
        .join(Event, Event.position == WebhookDelivery.event_position)
        .where(*conditions)
        .order_by(WebhookDelivery.event_position.desc(), WebhookDelivery.id)
        .offset(offset)
        .limit(limit)
    )
    return total or 0, list(rows.all())  # type: ignore[arg-type]


async def replay(
    session: AsyncSession,
    *,
    endpoint_id: uuid.UUID,
    since: datetime,
    only_failed: bool,
    now: datetime,
) -> int:
    """Queue again, from their first attempt, the endpoint's deliveries of events recorded
    since then (failed ones only, or delivered ones too); returns how many."""
    since_then = select(Event.position).where(Event.created_at >= since).scalar_subquery()
    statuses = [FAILED] if only_failed else [FAILED, DELIVERED]
    result = await session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.endpoint_id == endpoint_id,
            WebhookDelivery.status.in_(statuses),
            WebhookDelivery.event_position.in_(since_then),
        )
        .values(status=PENDING, attempts=0, next_attempt_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount  # type: ignore[attr-defined]


async def position_of(session: AsyncSession, event_id: uuid.UUID) -> int | None:
    return await session.scalar(select(Event.position).where(Event.id == event_id))


async def events_after(
    session: AsyncSession, *, position: int, recorded_by: datetime, limit: int
) -> list[Event]:
    """Up to ``limit`` events recorded after ``position`` and by ``recorded_by``, in the
    order they were."""
    rows = await session.scalars(
        select(Event)
        .where(Event.position > position, Event.created_at <= recorded_by)
        .order_by(Event.position)
        .limit(limit)
    )
    return list(rows)


async def delete_events_before(session: AsyncSession, moment: datetime) -> int:
    """Events recorded before ``moment``, with their deliveries; returns how many events."""
    old = select(Event.position).where(Event.created_at < moment).scalar_subquery()
    await session.execute(
        delete(WebhookDelivery)
        .where(WebhookDelivery.event_position.in_(old))
        .execution_options(synchronize_session=False)
    )
    result = await session.execute(
        delete(Event).where(Event.created_at < moment).execution_options(synchronize_session=False)
    )
    return result.rowcount  # type: ignore[attr-defined]


async def stored_secrets(
    session: AsyncSession, *, after: uuid.UUID | None, limit: int
) -> list[Row[Any]]:
    """Up to ``limit`` endpoints after ``after`` by id, as (id, secret, previous_secret)
    rows, locked until the transaction ends (a rotation waits for them)."""
    statement = select(WebhookEndpoint.id, WebhookEndpoint.secret, WebhookEndpoint.previous_secret)
    if after is not None:
        statement = statement.where(WebhookEndpoint.id > after)
    rows = await session.execute(
        statement.order_by(WebhookEndpoint.id).limit(limit).with_for_update()
    )
    return list(rows.all())  # type: ignore[arg-type]


async def set_secrets(
    session: AsyncSession, secrets: dict[uuid.UUID, tuple[str, str | None]]
) -> None:
    """Each endpoint's (secret, previous_secret) as given, in one statement."""
    if not secrets:
        return
    column = WebhookEndpoint.id
    values: dict[str, Any] = {
        "secret": case(*((column == i, literal(s)) for i, (s, _) in secrets.items()))
    }
    previous = {i: p for i, (_, p) in secrets.items() if p is not None}
    if previous:
        values["previous_secret"] = case(
            *((column == i, literal(p)) for i, p in previous.items()),
            else_=WebhookEndpoint.previous_secret,
        )
    await session.execute(
        update(WebhookEndpoint)
        .where(column.in_(list(secrets)))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
