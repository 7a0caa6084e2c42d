"""The queue's own tables (the columns it adds to others are in ``db/models.py``)."""

import uuid
from datetime import datetime

from sqlalchemy import Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from relance.db.base import Base, OrganizationOwned, created_at_column, id_column


class DoNotCallNumber(Base, OrganizationOwned):
    """A number the organization must never call (E.164, normalized like every number)."""

    __tablename__ = "do_not_call_numbers"
    __table_args__ = (
        UniqueConstraint("organization_id", "number"),
        # The list's pages, newest first, without sorting the whole list for each.
        Index(None, "organization_id", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = id_column()
    number: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = created_at_column()
