"""/v1/webhooks and /v1/events (Relance extensions): endpoints that receive a workspace's
events, their delivery log and replays, and the event feed to reconcile from."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from relance.api.deps import TenantSession, get_settings, path_id
from relance.api.json_body import StrictJsonRoute
from relance.api.schemas import Page
from relance.api.v1 import shaping
from relance.api.v1.responses import errors
from relance.api.v1.webhook_schemas import (
    CreateWebhookDto,
    EventFeedDto,
    EventFeedQuery,
    ListDeliveriesQuery,
    ListWebhooksQuery,
    QueuedDto,
    ReplayDto,
    UpdateWebhookDto,
    WebhookDeliveryDto,
    WebhookDto,
    WebhookWithSecretDto,
)
from relance.settings import Settings
from relance.webhooks import service

router = APIRouter(prefix="/v1", tags=["Webhooks"], route_class=StrictJsonRoute)
AppSettings = Annotated[Settings, Depends(get_settings)]


@router.post("/webhooks", status_code=201, summary="Create a webhook", responses=errors(400))
async def create_webhook(
    body: CreateWebhookDto, session: TenantSession, settings: AppSettings
) -> WebhookWithSecretDto:
    """The secret is shown here and by rotate-secret only. A URL whose host is or resolves
    to a non-public address is refused unless the operator allows private addresses."""
    saved = await service.create(
        session,
        url=body.url,
        events=body.events,
        description=body.description,
        workspace_id=body.workspace_id,
        allow_private=settings.webhook_allow_private,
        box=settings.secret_box,
    )
    return shaping.webhook(saved.endpoint, secret=saved.secret)  # type: ignore[return-value]


@router.get("/webhooks", summary="List webhooks", responses=errors(400))
async def list_webhooks(
    query: Annotated[ListWebhooksQuery, Query()], session: TenantSession
) -> Page[WebhookDto]:
    total, endpoints = await service.page(
        session, workspace_id=query.workspace_id, offset=query.offset, limit=query.limit
    )
    return Page[WebhookDto].of([shaping.webhook(e) for e in endpoints], total=total, query=query)


@router.get("/webhooks/{id}", summary="Get a webhook", responses=errors(404))
async def get_webhook(id: str, session: TenantSession) -> WebhookDto:
    return shaping.webhook(await service.get(session, endpoint_id=path_id(id, "Webhook")))


@router.patch("/webhooks/{id}", summary="Update a webhook", responses=errors(400, 404))
async def update_webhook(
    id: str, body: UpdateWebhookDto, session: TenantSession, settings: AppSettings
) -> WebhookDto:
    """``enabled: true`` enables a disabled endpoint again: what was queued while it was
    disabled is sent then, oldest first."""
    endpoint = await service.update(
        session,
        endpoint_id=path_id(id, "Webhook"),
        allow_private=settings.webhook_allow_private,
        url=body.sent("url"),
        events=body.sent("events"),
        description=body.sent("description"),
        enabled=body.sent("enabled"),
    )
    return shaping.webhook(endpoint)


@router.delete("/webhooks/{id}", status_code=204, summary="Delete a webhook", responses=errors(404))
async def delete_webhook(id: str, session: TenantSession) -> Response:
    await service.delete(session, endpoint_id=path_id(id, "Webhook"))
    return Response(status_code=204)


@router.post(
    "/webhooks/{id}/rotate-secret",
    summary="Rotate a webhook's secret",
    responses=errors(404),
)
async def rotate_webhook_secret(
    id: str, session: TenantSession, settings: AppSettings
) -> WebhookWithSecretDto:
    """The previous secret keeps signing beside the new one for 24 hours."""
    saved = await service.rotate_secret(
        session, endpoint_id=path_id(id, "Webhook"), box=settings.secret_box
    )
    return shaping.webhook(saved.endpoint, secret=saved.secret)  # type: ignore[return-value]


@router.post(
    "/webhooks/{id}/test", status_code=202, summary="Send a test event", responses=errors(404)
)
async def test_webhook(id: str, session: TenantSession) -> QueuedDto:
    """Queues a ``webhook.test`` event to this endpoint alone."""
    await service.send_test(session, endpoint_id=path_id(id, "Webhook"))
    return QueuedDto(queued=1)


@router.get(
    "/webhooks/{id}/deliveries",
    summary="List a webhook's deliveries",
    responses=errors(400, 404),
)
async def list_webhook_deliveries(
    id: str, query: Annotated[ListDeliveriesQuery, Query()], session: TenantSession
) -> Page[WebhookDeliveryDto]:
    """Newest event first."""
    total, rows = await service.deliveries(
        session,
        endpoint_id=path_id(id, "Webhook"),
        status=query.status,
        offset=query.offset,
        limit=query.limit,
    )
    return Page[WebhookDeliveryDto].of(
        [shaping.delivery(r) for r in rows], total=total, query=query
    )


@router.post(
    "/webhooks/{id}/replay",
    status_code=202,
    summary="Send a webhook's messages again",
    responses=errors(400, 404),
)
async def replay_webhook(id: str, body: ReplayDto, session: TenantSession) -> QueuedDto:
    """The endpoint's messages of events recorded since ``since`` (the failed ones only,
    unless ``onlyFailed`` is false) are sent again, with their original ``webhook-id``."""
    queued = await service.replay(
        session, endpoint_id=path_id(id, "Webhook"), since=body.since, only_failed=body.only_failed
    )
    return QueuedDto(queued=queued)


@router.get("/events", summary="List events", tags=["Events"], responses=errors(400))
async def list_events(
    query: Annotated[EventFeedQuery, Query()], session: TenantSession, settings: AppSettings
) -> EventFeedDto:
    """The events of the key's workspaces, oldest first, in the order they were recorded;
    pass ``next`` as ``after`` for the next page (null: the end, for now). An event shows
    a few seconds after it was recorded (RELANCE_EVENT_FEED_SETTLE_S). Kept
    RELANCE_EVENT_RETENTION_DAYS (30 by default)."""
    events, after = await service.events_after(
        session, after=query.after, limit=query.limit, settle_s=settings.feed_settle_s
    )
    return EventFeedDto(data=[shaping.event(e) for e in events], next=after)
