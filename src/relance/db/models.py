"""Every table of Relance. Schema changes go through an Alembic migration.

Tenant-owned rows carry ``workspace_id`` (or ``organization_id`` for organization-level
rows) so that ``relance.tenancy.scope`` can filter every query in one place. Relationships
are ``lazy="raise"``: what a request needs is loaded explicitly, so a hidden N+1 fails loudly.
The base and the mixins are in ``db/base.py``; the queue's tables in ``db/models_queue.py``.
"""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    and_,
    func,
    literal_column,
    or_,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from relance.db.base import NAMING_CONVENTION, Base, OrganizationOwned, WorkspaceOwned
from relance.db.base import created_at_column as _created_at
from relance.db.base import enum_column as _enum
from relance.db.base import id_column as _id
from relance.db.types import UTCDateTime
from relance.plans import Plan, SubscriptionStatus

__all__ = ["NAMING_CONVENTION", "Base", "OrganizationOwned", "WorkspaceOwned"]


class Organization(Base):
    __tablename__ = "organizations"

    id: Mapped[uuid.UUID] = _id()
    name: Mapped[str] = mapped_column(String(255))
    plan: Mapped[Plan] = mapped_column(_enum(Plan))
    subscription_status: Mapped[SubscriptionStatus] = mapped_column(_enum(SubscriptionStatus))
    created_at: Mapped[datetime] = _created_at()


class Workspace(Base, OrganizationOwned):
    __tablename__ = "workspaces"

    id: Mapped[uuid.UUID] = _id()
    name: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = _created_at()


class OrganizationMembership(Base, OrganizationOwned):
    """A user of an organization. Emails are stored lower-cased: one person, one membership."""

    __tablename__ = "organization_memberships"
    __table_args__ = (UniqueConstraint("organization_id", "email"),)

    id: Mapped[uuid.UUID] = _id()
    email: Mapped[str] = mapped_column(String(320))
    first_name: Mapped[str | None] = mapped_column(String(255))
    last_name: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = _created_at()


class WorkspaceMembership(Base, WorkspaceOwned):
    __tablename__ = "workspace_memberships"
    __table_args__ = (UniqueConstraint("workspace_id", "organization_membership_id"),)

    id: Mapped[uuid.UUID] = _id()
    organization_membership_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organization_memberships.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = _created_at()


class ApiKey(Base):
    """An organization's API key. Only a SHA-256 digest of the key is stored."""

    __tablename__ = "api_keys"

    id: Mapped[uuid.UUID] = _id()
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(255))
    mode: Mapped[str] = mapped_column(String(8))
    key_digest: Mapped[str] = mapped_column(String(64), unique=True)
    # None: every workspace of the organization, including later ones.
    workspace_ids: Mapped[list[str] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = _created_at()
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Contact(Base, WorkspaceOwned):
    __tablename__ = "contacts"
    __table_args__ = (
        Index(None, "workspace_id", "created_at", "id"),
        Index(None, "workspace_id", "email_key", "created_at"),
        # Batches look contacts up by id within a workspace. Without statistics SQLite would
        # rather walk the workspace through the index above than make a hundred id lookups;
        # with both columns as equalities this index wins.
        Index(None, "workspace_id", "id"),
    )

    id: Mapped[uuid.UUID] = _id()
    first_name: Mapped[str] = mapped_column(String(255), default="")
    last_name: Mapped[str] = mapped_column(String(255), default="")
    email: Mapped[str | None] = mapped_column(String(320))
    # The email lower-cased: what OpenCX matching compares (see contacts.service.email_key).
    email_key: Mapped[str | None] = mapped_column(String(320))
    company: Mapped[str | None] = mapped_column(String(255))
    # An IANA zone the client set; its numbers' zones are derived otherwise.
    time_zone: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = _created_at()


class PhoneNumber(Base, WorkspaceOwned):
    __tablename__ = "phone_numbers"
    __table_args__ = (
        UniqueConstraint("contact_id", "number"),
        Index(None, "workspace_id", "number"),
        # The numbers of a page of contacts. workspace_id leads so that, with the tenant
        # filter, SQLite's planner (which has no statistics) prefers this index to the one
        # above, which would walk every number of the workspace.
        Index(None, "workspace_id", "contact_id", "position"),
    )

    id: Mapped[uuid.UUID] = _id()
    contact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(String(32))
    # Keeps the order the client sent; the API returns numbers in this order.
    position: Mapped[int] = mapped_column(Integer, default=0)
    # The zone key (relance.calling_windows) the number rings in: its contact's own zone
    # when set, else derived from the number; kept with every write of either.
    time_zones: Mapped[str] = mapped_column(String(1024), server_default="")
    created_at: Mapped[datetime] = _created_at()


class Sequence(Base, WorkspaceOwned):
    __tablename__ = "sequences"
    __table_args__ = (Index(None, "workspace_id", "created_at", "id"),)

    id: Mapped[uuid.UUID] = _id()
    name: Mapped[str] = mapped_column(String(255))
    creator_membership_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organization_memberships.id")
    )
    # OpenCX: only a continuous sequence takes contacts through /opencx, and only those
    # its filter (relance.sequences.filters) applies to.
    is_continuous: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    filter: Mapped[dict | None] = mapped_column(JSON)
    # The queue's policy: relance.calling_windows.CallingWindow.dump(), or None (any time).
    calling_window: Mapped[dict | None] = mapped_column(JSON)
    max_attempts: Mapped[int | None] = mapped_column(Integer)
    retry_after_minutes: Mapped[int] = mapped_column(Integer, server_default="0")
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = _created_at()
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SequenceAssignee(Base, WorkspaceOwned):
    """An assignee of a sequence and the number of active contacts assigned to them in it.

    ``active_load`` is maintained in the same transaction as every add, removal and
    resurrection, so that round-robin assignment never counts a million rows. An assignee taken
    off the sequence keeps their row (``is_assignee`` false) because their contacts stay
    theirs: the sum of the loads is the sequence's active contact count.
    """

    __tablename__ = "sequence_assignees"
    __table_args__ = (UniqueConstraint("sequence_id", "workspace_membership_id"),)

    id: Mapped[uuid.UUID] = _id()
    sequence_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sequences.id", ondelete="CASCADE"))
    workspace_membership_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("workspace_memberships.id", ondelete="CASCADE")
    )
    # The order of assignedToIds; breaks round-robin ties in a stable way.
    position: Mapped[int] = mapped_column(Integer)
    is_assignee: Mapped[bool] = mapped_column(default=True)
    active_load: Mapped[int] = mapped_column(Integer, default=0)


class SequenceContact(Base, WorkspaceOwned):
    """A contact enrolled in a sequence. One row per pair, soft-deleted and resurrected."""

    __tablename__ = "sequence_contacts"
    __table_args__ = (
        UniqueConstraint("sequence_id", "contact_id"),
        # Serves the list operation's ORDER BY directly. Partial, because with deleted_at
        # as a leading key column PostgreSQL could only use it for ORDER BY deleted_at,
        # created_at. workspace_id rides along so that the tenant filter keeps the page's
        # OFFSET scan index-only, and deleted_at (always NULL here) too: SQLite reads a
        # column of the partial index's WHERE from the table otherwise.
        Index(
            "ix_sequence_contacts_active_order",
            "sequence_id",
            "created_at",
            "id",
            "workspace_id",
            "deleted_at",
            sqlite_where=text("deleted_at IS NULL"),
            postgresql_where=text("deleted_at IS NULL"),
        ),
        Index(
            "ix_sequence_contacts_active_status",
            "sequence_id",
            "status",
            "created_at",
            "id",
            "workspace_id",
            "deleted_at",
            sqlite_where=text("deleted_at IS NULL"),
            postgresql_where=text("deleted_at IS NULL"),
        ),
        Index(None, "contact_id"),
        # When a 204 of the queue says to ask again: the next end of a rep's pauses.
        Index(
            "ix_sequence_contacts_paused",
            "sequence_id",
            "assigned_to_workspace_membership_id",
            "paused_until",
            sqlite_where=text("deleted_at IS NULL AND state = 'paused'"),
            postgresql_where=text("deleted_at IS NULL AND state = 'paused'"),
        ),
    )

    id: Mapped[uuid.UUID] = _id()
    sequence_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sequences.id", ondelete="CASCADE"))
    contact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    assigned_to_workspace_membership_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("workspace_memberships.id")
    )
    # Derived from the contact's calls and numbers (relance.enrolments.statuses).
    status: Mapped[str | None] = mapped_column(String(32))
    # active, paused or finished (relance.enrolments.states); paused until a time counts
    # as active from then on. attempts and last_attempt_at are derived with the status.
    state: Mapped[str] = mapped_column(String(16), server_default="active")
    paused_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    exit_reason: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Some call of it in the sequence is under way: the queue's claim (no subquery per row).
    call_under_way: Mapped[bool] = mapped_column(server_default=text("false"))
    # Its contact's queue key (relance.calling_windows.queue_key), derived with the status.
    zone_key: Mapped[str | None] = mapped_column(String(1024))
    created_at: Mapped[datetime] = _created_at()
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


def _literal(value: str) -> Any:
    return literal_column(f"'{value}'")


# The queue's rows (``calls.queue``): a rep's contacts but for those a ``next`` may not offer
# until a change of their own (finished, paused until resumed, no number: MISSING_NUMBER),
# which it then never walks past. The condition of the queue's index and of the queries
# that read it (with literals: a bound value would keep the planners from seeing that
# the partial index applies).
QUEUE_ROWS = and_(
    SequenceContact.deleted_at.is_(None),
    or_(
        SequenceContact.state.op("=")(_literal("active")),
        and_(
            SequenceContact.state.op("=")(_literal("paused")),
            SequenceContact.paused_until.is_not(None),
        ),
    ),
    func.coalesce(SequenceContact.status, _literal("")).op("<>")(_literal("MISSING_NUMBER")),
)
# Per queue key: never called first, in enrolment order, then by last attempt.
Index(
    "ix_sequence_contacts_queue",
    SequenceContact.sequence_id,
    SequenceContact.assigned_to_workspace_membership_id,
    SequenceContact.zone_key,
    SequenceContact.last_attempt_at,
    SequenceContact.created_at,
    SequenceContact.id,
    sqlite_where=QUEUE_ROWS,
    postgresql_where=QUEUE_ROWS,
)


class Tag(Base, WorkspaceOwned):
    """A workspace's outcome label. ``label_key`` is the label case-folded (``str.casefold``),
    the form uniqueness and the list's ``?tag=`` filter compare."""

    __tablename__ = "tags"
    __table_args__ = (UniqueConstraint("workspace_id", "label_key"),)

    id: Mapped[uuid.UUID] = _id()
    label: Mapped[str] = mapped_column(String(64))
    # casefold() can lengthen a string (ß -> ss), hence the room.
    label_key: Mapped[str] = mapped_column(String(256))
    is_success_tag: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = _created_at()


class SequenceContactTag(Base, WorkspaceOwned):
    """A tag on a contact in a sequence.

    The row carries a copy of what the list orders and filters its enrolment by (its
    sequence, ``created_at`` and ``deleted_at``), kept in the transaction of every change
    of those (``relance.enrolments``), so that ``?tag=`` reads a range of one index instead
    of joining every row of the tag to the enrolments.
    """

    __tablename__ = "sequence_contact_tags"
    __table_args__ = (
        Index(None, "tag_id", "sequence_contact_id"),
        Index(
            "ix_sequence_contact_tags_active_order",
            "tag_id",
            "sequence_id",
            "enrolment_created_at",
            "sequence_contact_id",
            "workspace_id",
            "enrolment_deleted_at",  # as deleted_at above
            sqlite_where=text("enrolment_deleted_at IS NULL"),
            postgresql_where=text("enrolment_deleted_at IS NULL"),
        ),
    )

    sequence_contact_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sequence_contacts.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = _created_at()
    sequence_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sequences.id", ondelete="CASCADE"))
    enrolment_created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    enrolment_deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Call(Base, WorkspaceOwned):
    """A call session placed to a contact in a sequence, by a member of its workspace."""

    __tablename__ = "calls"
    __table_args__ = (
        # A page's calls, newest first, and the status rule's facts: workspace_id leads so
        # that SQLite (no statistics) prefers it to the next, which walks the workspace's.
        Index(None, "workspace_id", "sequence_id", "contact_id", "created_at", "id"),
        Index(None, "workspace_id", "created_at", "id"),
        # GET /v1/calls by contact, rep or sequence, in its order; the stats' calls of today.
        Index(None, "workspace_id", "contact_id", "created_at", "id"),
        Index(None, "workspace_id", "workspace_membership_id", "created_at", "id"),
        Index(None, "workspace_id", "sequence_id", "created_at", "id"),
        Index(None, "workspace_id", "sequence_id", "started_at"),
    )

    id: Mapped[uuid.UUID] = _id()
    sequence_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sequences.id", ondelete="CASCADE"))
    contact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    # A number removed from the contact keeps its calls; they forget which number it was.
    phone_number_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("phone_numbers.id", ondelete="SET NULL")
    )
    workspace_membership_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("workspace_memberships.id", ondelete="CASCADE")
    )
    status: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the call first reached a person (entered CONNECTED or COMPLETED); it stays set
    # whatever the call moves to next, so "reached a person, ever" is a fact of the row.
    connected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recording_url: Mapped[str | None] = mapped_column(String(2048))
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = _created_at()


class ContinuousRun(Base, WorkspaceOwned):
    """One accepted OpenCX request: what happened to each of its items, in order."""

    __tablename__ = "continuous_runs"
    __table_args__ = (Index(None, "created_at"),)

    id: Mapped[uuid.UUID] = _id()
    sequence_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sequences.id", ondelete="CASCADE"))
    # [{"input": <item as sent>, "outcome": str, "contact_id": str | None}, ...]
    items: Mapped[list] = mapped_column(JSON)
    created_at: Mapped[datetime] = _created_at()


# Tables kept in modules of their own, imported here so that the metadata holds them all.
import relance.db.idempotency  # noqa: E402, F401
from relance.db import models_webhooks  # noqa: E402, F401
from relance.db.models_counts import SequenceStatusCount, SequenceTagCount  # noqa: E402, F401
from relance.db.models_queue import DoNotCallNumber  # noqa: E402, F401
