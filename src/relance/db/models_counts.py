"""The counts kept beside a sequence's enrolments (``relance.enrolments.counts``)."""

import uuid

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from relance.db.base import Base, WorkspaceOwned


class SequenceStatusCount(Base, WorkspaceOwned):
    """How many active contacts of a sequence have a status, maintained, never counted.

    Kept in the transaction of every change that moves an active enrolment in or out of a
    status (``relance.enrolments``), like the assignees' loads; no status yet is not
    counted here (the sequence's count, the sum of its loads, holds those too).
    """

    __tablename__ = "sequence_status_counts"

    sequence_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sequences.id", ondelete="CASCADE"), primary_key=True
    )
    status: Mapped[str] = mapped_column(String(32), primary_key=True)
    active_count: Mapped[int] = mapped_column(Integer, default=0)


class SequenceTagCount(Base, WorkspaceOwned):
    """How many active contacts of a sequence carry a tag, maintained, never counted."""

    __tablename__ = "sequence_tag_counts"

    sequence_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sequences.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True
    )
    active_count: Mapped[int] = mapped_column(Integer, default=0)
