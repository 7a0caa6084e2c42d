"""The tables of the event outbox and of webhook delivery (imported by ``db.models``).

An event is recorded in the transaction of the change it tells of, with one delivery per
webhook endpoint subscribed to it: what a 2xx answered is durable, and a dispatcher only
ever reads the database to know what is left to send.
"""

import uuid
from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from relance.db.models import Base, WorkspaceOwned, _created_at, _id
from relance.db.types import UTCDateTime

# 64-bit on PostgreSQL; SQLite's rowid alias must be spelled INTEGER to count by itself.
Position = BigInteger().with_variant(Integer(), "sqlite")


class Event(Base, WorkspaceOwned):
    """Something that happened in a workspace, as ``GET /v1/events`` and webhooks show it."""

    __tablename__ = "events"
    __table_args__ = (
        Index(None, "workspace_id", "position"),
        Index(None, "created_at"),
    )

    # The order events were recorded in: the feed's and each endpoint's queue's order.
    position: Mapped[int] = mapped_column(Position, primary_key=True, autoincrement=True)
    id: Mapped[uuid.UUID] = mapped_column(unique=True, default=uuid.uuid4)
    type: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = _created_at()


class WebhookEndpoint(Base, WorkspaceOwned):
    """A URL that receives a workspace's events, signed with its secret."""

    __tablename__ = "webhook_endpoints"
    __table_args__ = (Index(None, "workspace_id", "created_at", "id"),)

    id: Mapped[uuid.UUID] = _id()
    url: Mapped[str] = mapped_column(String(2048))
    # The event types subscribed to, as ",a,b,": matched with LIKE on every database.
    event_types: Mapped[str] = mapped_column(String(1024))
    description: Mapped[str | None] = mapped_column(String(255))
    # Sealed under RELANCE_SECRET_KEY (relance.secretbox): a Fernet token, or, written
    # before sealing or without a key, the clear ``whsec_`` secret.
    secret: Mapped[str] = mapped_column(String(255))
    # After a rotation, the secret before it keeps signing until then (sealed the same).
    previous_secret: Mapped[str | None] = mapped_column(String(255))
    previous_secret_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = _created_at()
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled_reason: Mapped[str | None] = mapped_column(String(16))


class WebhookDelivery(Base, WorkspaceOwned):
    """One event to one endpoint: its attempts so far and when the next one is due.

    ``pending`` until a 2xx (``delivered``) or the schedule's end (``failed``). While a
    dispatcher sends an attempt, ``next_attempt_at`` is its lease: past it, the attempt is
    presumed lost with its dispatcher and another one sends it again.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        # An endpoint's queue, oldest event first; the log, newest first.
        Index(None, "endpoint_id", "status", "event_position"),
        Index(None, "status", "next_attempt_at"),
        # For the purge and the events' cascade, which look deliveries up by event. A hash
        # on PostgreSQL: an index in event order would be the planner's pick for an
        # endpoint's head (``delivery_repository``), walking every delivery before it.
        Index(None, "event_position", postgresql_using="hash"),
    )

    id: Mapped[uuid.UUID] = _id()
    endpoint_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE")
    )
    event_position: Mapped[int] = mapped_column(
        Position, ForeignKey("events.position", ondelete="CASCADE")
    )
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(1024))
    created_at: Mapped[datetime] = _created_at()
