"""The table of answered ``Idempotency-Key`` requests (``relance.idempotency``)."""

import uuid
from datetime import datetime

from sqlalchemy import Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from relance.db.models import Base, OrganizationOwned, _created_at, _id


class IdempotentRequest(Base, OrganizationOwned):
    """A POST sent with an ``Idempotency-Key``, and its answer, written in the request's
    own transaction: the change and the answer that reports it commit together."""

    __tablename__ = "idempotent_requests"
    __table_args__ = (
        UniqueConstraint("organization_id", "key"),
        Index(None, "created_at"),  # for the purge of expired keys
    )

    id: Mapped[uuid.UUID] = _id()
    key: Mapped[str] = mapped_column(String(255))
    # SHA-256 of the method, path, query and body: the same key with another request is
    # a conflict, not a replay.
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    media_type: Mapped[str | None] = mapped_column(String(255))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = _created_at()
