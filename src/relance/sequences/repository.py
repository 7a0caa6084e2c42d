"""Queries on sequences, and the list operation's page of their active contacts (the
enrolment rows themselves are written by ``relance.enrolments``).

The list reads rows, not ORM objects: Core statements on the tables, which the tenant
scope filters like any other (``relance.tenancy.scope``), and whose totals come from the
maintained counts (``relance.enrolments.counts``) rather than from counting rows.
"""

import functools
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    Integer,
    Row,
    Select,
    String,
    Uuid,
    bindparam,
    func,
    null,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from relance.calls.repository import call_count, calls_json
from relance.contacts.repository import numbers_json, zones_json
from relance.db.dialect import (
    dialect_name,
    json_nested,
    json_object,
    json_text,
    json_timestamp,
    json_uuid,
)
from relance.db.models import (
    Contact,
    Sequence,
    SequenceAssignee,
    SequenceContact,
    SequenceContactTag,
    SequenceStatusCount,
    SequenceTagCount,
    Tag,
)
from relance.db.types import UTCDateTime
from relance.enrolments.repository import is_live
from relance.enrolments.state_repository import in_state_at
from relance.tags.repository import tags_json
from relance.tenancy.scope import scoped

_SEQUENCES = Sequence.__table__
_ENROLMENTS = SequenceContact.__table__
_CONTACTS = Contact.__table__
_TAG_ROWS = SequenceContactTag.__table__
_TAGS = Tag.__table__
_SEQUENCE_ID = bindparam("sequence_id", type_=Uuid)
_STATUS = bindparam("status", type_=String)
_TAG_KEY = bindparam("tag_key", type_=String)
_NOW = bindparam("now", type_=UTCDateTime())


async def page(session: AsyncSession, *, offset: int, limit: int) -> tuple[int, list[Sequence]]:
    """A page of the live sequences, oldest first, and how many there are."""
    live = is_live()
    total = await session.scalar(select(func.count()).select_from(Sequence).where(live))
    rows = await session.scalars(
        select(Sequence)
        .where(live)
        .order_by(Sequence.created_at, Sequence.id)
        .offset(offset)
        .limit(limit)
    )
    return total or 0, list(rows)


@dataclass(frozen=True)
class Window:
    """Which rows a page reads: ``limit`` rows from ``offset``, counted from the start of
    the order or, when ``from_the_end``, from its end (the rows then come newest first)."""

    from_the_end: bool
    offset: int
    limit: int


def window(*, offset: int, limit: int, total: int) -> Window:
    """The page ``[offset, offset + limit)`` of ``total`` rows, read from the nearer end.

    An OFFSET walks every row it skips, so the last page of a million would walk a million;
    read from the end, it walks no more than the first page does.
    """
    end = min(offset + limit, total)
    count = max(0, end - offset)
    if total - end < offset:
        return Window(from_the_end=True, offset=total - end, limit=count)
    return Window(from_the_end=False, offset=offset, limit=count)


@dataclass(frozen=True)
class ListHeader:
    """What the list needs before its page: the sequence's workspace, the tag asked for
    (None when no tag of the workspace has that label) and how many contacts match."""

    workspace_id: uuid.UUID
    tag_id: uuid.UUID | None
    total: int
    # The sequence's calling policy, which each item's nextCallableAt reads.
    calling_window: dict | None = None
    max_attempts: int | None = None
    retry_after_minutes: int = 0


async def list_header(
    session: AsyncSession,
    *,
    sequence_id: uuid.UUID,
    status: str | None,
    tag_key: str | None,
    state: str | None = None,
    now: datetime | None = None,
) -> ListHeader | None:
    """The live sequence (None when unknown, deleted or out of scope), the tag whose
    ``label_key`` is ``tag_key`` in its workspace, and the total, in one statement.

    The total is a maintained count: the sum of the loads unfiltered, the count of the
    status or of the tag when one is asked. A status and a tag together have no count of
    their own: their active rows are counted, along the tag's index in the list's order.
    A state (active at ``now``, paused at ``now``, finished) has none either: its rows
    are counted, in one aggregate over the sequence's rows.
    """
    row = (
        await session.execute(
            _header(status is not None, tag_key is not None, state),
            {"sequence_id": sequence_id, "status": status, "tag_key": tag_key, "now": now},
        )
    ).first()
    if row is None:
        return None
    return ListHeader(
        workspace_id=row[0],
        tag_id=row[1],
        total=row[2] or 0,
        calling_window=row[3],
        max_attempts=row[4],
        retry_after_minutes=row[5],
    )


@functools.cache
def _header(by_status: bool, by_tag: bool, state: str | None) -> Select:
    """``list_header``'s statement for one shape of filter, built and scoped once."""
    sequence, tag = _SEQUENCES.c, _TAGS.c
    is_the_tag = (tag.workspace_id == sequence.workspace_id) & (tag.label_key == _TAG_KEY)
    total: Select
    if state is not None:
        enrolment = _ENROLMENTS.c
        total = (
            select(func.count())
            .select_from(_ENROLMENTS)
            .where(
                enrolment.sequence_id == sequence.id,
                enrolment.deleted_at.is_(None),
                in_state_at(state, _NOW, enrolment),
            )
        )
        if by_status:
            total = total.where(enrolment.status == _STATUS)
        if by_tag:
            rows = _TAG_ROWS.c
            total = total.where(
                enrolment.id.in_(
                    select(rows.sequence_contact_id)
                    .join(_TAGS, tag.id == rows.tag_id)
                    .where(is_the_tag, rows.sequence_id == sequence.id)
                )
            )
    elif not by_tag:
        if not by_status:
            loads = SequenceAssignee.__table__.c
            total = select(func.sum(loads.active_load)).where(loads.sequence_id == sequence.id)
        else:
            counts = SequenceStatusCount.__table__.c
            total = select(counts.active_count).where(
                counts.sequence_id == sequence.id, counts.status == _STATUS
            )
    elif not by_status:
        counts = SequenceTagCount.__table__.c
        total = (
            select(counts.active_count)
            .join(_TAGS, tag.id == counts.tag_id)
            .where(counts.sequence_id == sequence.id, is_the_tag)
        )
    else:
        rows = _TAG_ROWS.c
        total = (
            select(func.count())
            .select_from(_TAG_ROWS)
            .join(_TAGS, tag.id == rows.tag_id)
            .join(_ENROLMENTS, _ENROLMENTS.c.id == rows.sequence_contact_id)
            .where(
                is_the_tag,
                rows.sequence_id == sequence.id,
                rows.enrolment_deleted_at.is_(None),
                _ENROLMENTS.c.status == _STATUS,
            )
        )
    tag_id = select(tag.id).where(is_the_tag).scalar_subquery() if by_tag else null()
    return scoped(
        select(
            sequence.workspace_id,
            tag_id,
            total.scalar_subquery(),
            sequence.calling_window,
            sequence.max_attempts,
            sequence.retry_after_minutes,
        ).where(sequence.id == _SEQUENCE_ID, is_live(sequence))
    )


async def contacts_page(
    session: AsyncSession,
    *,
    sequence_id: uuid.UUID,
    status: str | None,
    tag_id: uuid.UUID | None,
    offset: int,
    limit: int,
    total: int,
    state: str | None = None,
    now: datetime | None = None,
) -> list[Row]:
    """A page of the sequence's ``total`` matching active contacts, oldest enrolment first:
    one statement, whose rows are each item's JSON as the wire shows it, with its contact,
    numbers, tags, latest calls and count of calls in the sequence, as two objects (``head``
    and ``tail``, text) the keys ``state``, ``pausedUntil`` and ``nextCallableAt`` go
    between and after, and what those are worked out from: the enrolment's ``state``,
    ``paused_until``, ``attempts``, ``last_attempt_at``, and the zone keys of the
    contact's numbers (``zones``, a JSON array).

    The OFFSET runs over an index alone (an index-only scan), from the nearer end of it
    (``window``): the enrolments' partial index, or with a tag the tag rows' (which carry
    the enrolment's order, ``SequenceContactTag``). Only the rows of the page are then
    joined to their contacts.
    """
    rows_of = window(offset=offset, limit=limit, total=total)
    if rows_of.limit == 0:
        return []
    statement = _page(
        dialect_name(session), status is not None, tag_id is not None, rows_of.from_the_end, state
    )
    parameters = {
        "now": now,
        "sequence_id": sequence_id,
        "status": status,
        "tag_id": tag_id,
        "offset": rows_of.offset,
        "limit": rows_of.limit,
    }
    return list(await session.execute(statement, parameters))


@functools.cache
def _page(
    dialect: str, by_status: bool, by_tag: bool, from_the_end: bool, state: str | None
) -> Select:
    """``contacts_page``'s statement for one shape, built and scoped once."""
    enrolment, contact = _ENROLMENTS.c, _CONTACTS.c
    if not by_tag:
        order = (enrolment.created_at, enrolment.id)
        ids = select(enrolment.id).where(
            enrolment.sequence_id == _SEQUENCE_ID, enrolment.deleted_at.is_(None)
        )
        if by_status:
            ids = ids.where(enrolment.status == _STATUS)
        if state is not None:
            ids = ids.where(in_state_at(state, _NOW, enrolment))
    else:
        rows = _TAG_ROWS.c
        order = (rows.enrolment_created_at, rows.sequence_contact_id)
        ids = select(rows.sequence_contact_id.label("id")).where(
            rows.tag_id == bindparam("tag_id"),
            rows.sequence_id == _SEQUENCE_ID,
            rows.enrolment_deleted_at.is_(None),
        )
        if by_status or state is not None:
            ids = ids.join(_ENROLMENTS, enrolment.id == rows.sequence_contact_id)
        if by_status:
            ids = ids.where(enrolment.status == _STATUS)
        if state is not None:
            ids = ids.where(in_state_at(state, _NOW, enrolment))
    page = (
        ids.order_by(*(c.desc() for c in order) if from_the_end else order)
        .offset(bindparam("offset", type_=Integer))
        .limit(bindparam("limit", type_=Integer))
        .subquery()
    )
    # The item as the wire shows it (``SequenceContactDto``, whose schema tests keep the
    # two equal), in two parts around what depends on the moment of the request (its
    # ``state`` and ``pausedUntil``; ``nextCallableAt`` comes last): the columns those are
    # worked out from come beside them (``sequences.listing``).
    uid, moment = functools.partial(json_uuid, dialect), functools.partial(json_timestamp, dialect)
    head = json_object(
        dialect,
        {
            "id": uid(enrolment.id),
            "status": enrolment.status,
            "contact": json_object(
                dialect,
                {
                    "id": uid(contact.id),
                    "firstName": contact.first_name,
                    "lastName": contact.last_name,
                    "email": contact.email,
                    "company": contact.company,
                    "phoneNumbers": json_nested(dialect, numbers_json(dialect, contact.id)),
                },
            ),
            "tags": json_nested(dialect, tags_json(dialect, enrolment.id)),
            "calls": json_nested(dialect, calls_json(dialect, _SEQUENCE_ID, contact.id)),
            "callCount": call_count(_SEQUENCE_ID, contact.id),
            "createdAt": moment(enrolment.created_at),
            "assignedToWorkspaceMembershipId": uid(enrolment.assigned_to_workspace_membership_id),
        },
    )
    tail = json_object(
        dialect,
        {
            "finishedAt": moment(enrolment.finished_at),
            "exitReason": enrolment.exit_reason,
            "attempts": enrolment.attempts,
            "lastAttemptAt": moment(enrolment.last_attempt_at),
            "timeZone": contact.time_zone,
        },
    )
    return scoped(
        select(
            json_text(dialect, head).label("head"),
            json_text(dialect, tail).label("tail"),
            enrolment.state,
            enrolment.paused_until,
            enrolment.attempts,
            enrolment.last_attempt_at,
            json_text(dialect, zones_json(dialect, contact.id)).label("zones"),
        )
        .select_from(page)
        .join(_ENROLMENTS, enrolment.id == page.c.id)
        .join(_CONTACTS, contact.id == enrolment.contact_id)
        .order_by(enrolment.created_at, enrolment.id)
    )
