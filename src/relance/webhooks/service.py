"""Webhook endpoints: saved, listed, changed, deleted; their secrets rotated; their
delivery log read; a test event and replays queued. And the event feed, and its purge.

A secret is ``whsec_`` and the base64 of 24 random bytes (the Standard Webhooks form). It
is shown only when created or rotated; Relance keeps it, as it must sign with it, sealed
under the operator's key (``relance.secretbox``), and never shows it again. Without
RELANCE_SECRET_KEY no endpoint is created or rotated (503 NOT_CONFIGURED): Relance never
writes a new secret in the clear. After a rotation the previous secret keeps signing
beside the new one for ``SECRET_GRACE``: the ``webhook-signature`` header then carries
both signatures.
"""

import base64
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from relance.db.models_webhooks import Event, WebhookEndpoint
from relance.db.types import truncate_to_ms, utcnow
from relance.errors import NotConfigured, NotFound, ValidationFailed
from relance.events import outbox
from relance.events.outbox import SUBSCRIBABLE, EventType
from relance.secretbox import SecretBox, Unreadable
from relance.tenancy.scope import scope_of
from relance.tenancy.workspaces import known_workspace, resolve_workspace
from relance.unset import UNSET, Maybe
from relance.webhooks import repository, urls

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 24
SECRET_GRACE = timedelta(hours=24)
MANUAL, GONE = "manual", "gone"


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def _sealing(box: SecretBox | None) -> SecretBox:
    if box is None:
        raise NotConfigured(
            "Webhooks are not configured on this server: its operator must set RELANCE_SECRET_KEY"
        )
    return box


@dataclass(frozen=True)
class Saved:
    """An endpoint, with its secret when it was just made (creation, rotation)."""

    endpoint: WebhookEndpoint
    secret: str | None = None


def _event_types(events: list[str] | None) -> str:
    """The subscription as stored; an unknown type is a 400 naming it."""
    if events is None:
        return outbox.encode_types(SUBSCRIBABLE)
    known = {t.value for t in SUBSCRIBABLE}
    if not events:
        raise ValidationFailed("must name at least one event type", at=("events",))
    for index, name in enumerate(events):
        if name not in known:
            raise ValidationFailed(f"unknown event type: {name}", at=("events", index))
    return outbox.encode_types(set(events))


async def create(
    session: AsyncSession,
    *,
    url: str,
    events: list[str] | None,
    description: str | None,
    workspace_id: uuid.UUID | None,
    allow_private: bool,
    box: SecretBox | None,
) -> Saved:
    """Save an endpoint of a workspace; its URL must be public (``webhooks.urls``)."""
    box = _sealing(box)
    workspace_id = resolve_workspace(scope_of(session), workspace_id)
    event_types = _event_types(events)
    await urls.check_public(url, allow_private=allow_private)
    now = utcnow()
    secret = new_secret()
    endpoint = WebhookEndpoint(
        workspace_id=workspace_id,
        url=url,
        event_types=event_types,
        description=description,
        secret=box.seal(secret),
        created_at=now,
        updated_at=now,
    )
    await repository.insert(session, endpoint)
    return Saved(endpoint, secret)


async def get(
    session: AsyncSession, *, endpoint_id: uuid.UUID, lock: bool = False
) -> WebhookEndpoint:
    """One endpoint; 404 when unknown or out of scope."""
    endpoint = await repository.get(session, endpoint_id, for_update=lock)
    if endpoint is None:
        raise NotFound("Webhook not found")
    return endpoint


async def page(
    session: AsyncSession, *, workspace_id: uuid.UUID | None, offset: int, limit: int
) -> tuple[int, list[WebhookEndpoint]]:
    """The endpoints the key can see, oldest first, optionally of one workspace."""
    if workspace_id is not None:
        known_workspace(scope_of(session), workspace_id)
    return await repository.page(session, workspace_id=workspace_id, offset=offset, limit=limit)


async def update(
    session: AsyncSession,
    *,
    endpoint_id: uuid.UUID,
    allow_private: bool,
    url: Maybe[str] = UNSET,
    events: Maybe[list[str]] = UNSET,
    description: Maybe[str | None] = UNSET,
    enabled: Maybe[bool] = UNSET,
) -> WebhookEndpoint:
    """Change an endpoint; ``enabled`` false disables it (``manual``), true enables it
    again, whatever disabled it, with its backlog still pending."""
    endpoint = await get(session, endpoint_id=endpoint_id, lock=True)
    now = utcnow()
    if url is not UNSET:
        await urls.check_public(url, allow_private=allow_private)
        endpoint.url = url
    if events is not UNSET:
        endpoint.event_types = _event_types(events)
    if description is not UNSET:
        endpoint.description = description
    if enabled is True:
        endpoint.disabled_at = endpoint.disabled_reason = None
    elif enabled is False and endpoint.disabled_at is None:
        endpoint.disabled_at, endpoint.disabled_reason = now, MANUAL
    endpoint.updated_at = now
    await session.flush()
    return endpoint


async def delete(session: AsyncSession, *, endpoint_id: uuid.UUID) -> None:
    """Delete an endpoint and its delivery log; nothing more is sent to it."""
    endpoint = await get(session, endpoint_id=endpoint_id, lock=True)
    await repository.delete_endpoint(session, endpoint.id)


async def rotate_secret(
    session: AsyncSession, *, endpoint_id: uuid.UUID, box: SecretBox | None
) -> Saved:
    """A new secret; the current one keeps signing beside it for ``SECRET_GRACE`` (sealed
    again under the first key), unless no key opens it: then the new one signs alone,
    which is how a tenant recovers from a lost operator key."""
    box = _sealing(box)
    endpoint = await get(session, endpoint_id=endpoint_id, lock=True)
    now = utcnow()
    secret = new_secret()
    try:
        previous: str | None = box.reseal(endpoint.secret)
    except Unreadable:
        previous = None
    endpoint.previous_secret = previous
    endpoint.previous_secret_until = None if previous is None else now + SECRET_GRACE
    endpoint.secret = box.seal(secret)
    endpoint.updated_at = now
    await session.flush()
    return Saved(endpoint, secret)


async def send_test(session: AsyncSession, *, endpoint_id: uuid.UUID) -> uuid.UUID:
    """Queue a ``webhook.test`` event to this endpoint alone; returns the event's id."""
    endpoint = await get(session, endpoint_id=endpoint_id)
    event = outbox.NewEvent(
        endpoint.workspace_id, EventType.WEBHOOK_TEST, {"webhookId": str(endpoint.id)}
    )
    return (await outbox.record(session, [event], endpoint_id=endpoint.id))[0]


async def deliveries(
    session: AsyncSession, *, endpoint_id: uuid.UUID, status: str | None, offset: int, limit: int
) -> tuple[int, list[Row[Any]]]:
    """The endpoint's delivery log, newest event first (``repository.deliveries``)."""
    endpoint = await get(session, endpoint_id=endpoint_id)
    return await repository.deliveries(
        session, endpoint_id=endpoint.id, status=status, offset=offset, limit=limit
    )


async def replay(
    session: AsyncSession, *, endpoint_id: uuid.UUID, since: datetime, only_failed: bool
) -> int:
    """Send again, with their original ids, the endpoint's messages of events recorded
    since ``since`` (the failed ones only, or the delivered ones too); returns how many
    were queued. Pending ones are on their way already."""
    endpoint = await get(session, endpoint_id=endpoint_id)
    return await repository.replay(
        session,
        endpoint_id=endpoint.id,
        since=truncate_to_ms(since),
        only_failed=only_failed,
        now=utcnow(),
    )


async def events_after(
    session: AsyncSession, *, after: uuid.UUID | None, limit: int, settle_s: float
) -> tuple[list[Event], uuid.UUID | None]:
    """The events of the key's workspaces recorded after ``after`` (an event id), oldest
    first, and the cursor of the next page (None at the end). An unknown or purged
    cursor is a 400: the client must start again from the beginning.

    Positions are taken when events are inserted, not when their transactions commit: on
    PostgreSQL a transaction may commit position 7 while position 6 is still under way.
    So the feed shows only events recorded ``settle_s`` ago or more, once every
    transaction that could still add a lower position has ended; a cursor never skips one.
    """
    position = 0
    if after is not None:
        found = await repository.position_of(session, after)
        if found is None:
            raise ValidationFailed("unknown event id (purged, or not yours)", at=("after",))
        position = found
    rows = await repository.events_after(
        session,
        position=position,
        recorded_by=utcnow() - timedelta(seconds=settle_s),
        limit=limit + 1,
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, rows[-1].id if more else None


async def purge_events(session: AsyncSession, *, retention_days: int) -> int:
    """Delete events older than the retention period, and their deliveries; how many."""
    return await repository.delete_events_before(session, utcnow() - timedelta(days=retention_days))


@dataclass(frozen=True)
class Resealed:
    """A batch of ``reencrypt``: the last endpoint id it read (None: there were none),
    how many it sealed again, and the endpoints no key opens (left as they were)."""

    last: uuid.UUID | None
    resealed: int
    unreadable: list[uuid.UUID]


async def reencrypt_batch(
    session: AsyncSession, *, box: SecretBox, after: uuid.UUID | None, limit: int
) -> Resealed:
    """Seal the secrets of up to ``limit`` endpoints after ``after`` (by id) again under
    the first key, clear ones included, in two statements (on an unscoped session)."""
    rows = await repository.stored_secrets(session, after=after, limit=limit)
    changed: dict[uuid.UUID, tuple[str, str | None]] = {}
    unreadable = []
    for row in rows:
        endpoint_id, secret, previous = row.id, row.secret, row.previous_secret
        try:
            changed[endpoint_id] = (
                box.reseal(secret),
                None if previous is None else box.reseal(previous),
            )
        except Unreadable:
            unreadable.append(endpoint_id)
    await repository.set_secrets(session, changed)
    return Resealed(rows[-1].id if rows else None, len(changed), unreadable)
