"""The /v1 wire format of webhooks and of the event feed (Relance extensions)."""

import uuid
from typing import Annotated, Any, Literal

from pydantic import Field

from relance.api.schemas import (
    PageQuery,
    QueryInt,
    RequestModel,
    ResponseModel,
    StoredDatetime,
    Timestamp,
)
from relance.api.v1.schemas import OptionalText
from relance.events.outbox import SUBSCRIBABLE, EventType

EVENTS_DESCRIPTION = "Event types to receive, default all of them: " + ", ".join(
    t.value for t in SUBSCRIBABLE
)


Url = Annotated[
    str,
    Field(
        min_length=1,
        max_length=2048,
        description="http or https; public hosts only unless RELANCE_WEBHOOK_ALLOW_PRIVATE",
        examples=["https://crm.example.com/hooks/relance"],
    ),
]
EventTypes = Annotated[
    list[str],
    Field(max_length=20, description=EVENTS_DESCRIPTION, examples=[["call.updated"]]),
]


class CreateWebhookDto(RequestModel):
    url: Url
    events: EventTypes | None = None
    description: OptionalText | None = Field(default=None, examples=["CRM sync"])
    workspace_id: uuid.UUID | None = None


class UpdateWebhookDto(RequestModel):
    # Omitted: unchanged; null: refused (description: null clears it).
    url: Url = None  # type: ignore[assignment]
    events: EventTypes = None  # type: ignore[assignment]
    description: OptionalText | None = Field(default=None, examples=["CRM sync"])
    enabled: Annotated[
        bool, Field(description="true enables a disabled endpoint; false disables it")
    ] = None  # type: ignore[assignment]


class WebhookDto(ResponseModel):
    id: uuid.UUID
    url: str = Field(examples=["https://crm.example.com/hooks/relance"])
    events: list[str] = Field(examples=[["call.updated"]])
    description: str | None = Field(examples=["CRM sync"])
    workspace_id: uuid.UUID
    created_at: Timestamp
    disabled_at: Timestamp | None
    disabled_reason: Literal["manual", "gone"] | None


class WebhookWithSecretDto(WebhookDto):
    secret: str = Field(
        description="Shown only here: whsec_ and the base64 of 24 random bytes",
        examples=["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
    )


class ListWebhooksQuery(PageQuery):
    workspace_id: uuid.UUID | None = Field(default=None, alias="workspaceId")


class ListDeliveriesQuery(PageQuery):
    status: Literal["pending", "delivered", "failed"] | None = None


class WebhookDeliveryDto(ResponseModel):
    id: uuid.UUID
    event_id: uuid.UUID
    event_type: EventType
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    last_attempt_at: Timestamp | None
    last_status_code: int | None
    last_error: str | None = Field(examples=["no answer within 10 s"])
    next_attempt_at: Timestamp | None


class ReplayDto(RequestModel):
    since: StoredDatetime = Field(description="ISO 8601 with an offset")
    only_failed: bool = True


class QueuedDto(ResponseModel):
    queued: int


class EventDto(ResponseModel):
    id: uuid.UUID = Field(description="Also the webhook-id of its deliveries")
    type: EventType
    timestamp: Timestamp
    data: dict[str, Any] = Field(examples=[{"webhookId": "123e4567-e89b-12d3-a456-426614174000"}])


class EventFeedQuery(RequestModel):
    after: uuid.UUID | None = Field(default=None, description="The previous page's next")
    limit: QueryInt = Field(default=100, ge=1, le=1000, description="Events per page")


class EventFeedDto(ResponseModel):
    data: list[EventDto]
    next: uuid.UUID | None = Field(description="Pass as after for the next page; null at the end")
