"""Queries of the derived status (``enrolments.statuses``): the facts the rule reads, and
the statuses it stores."""

import uuid
from collections.abc import Collection
from collections.abc import Sequence as Rows
from typing import Any

from sqlalchemy import Row, String, case, exists, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from relance.call_lifecycle import CallStatus
from relance.db.models import Call, PhoneNumber, SequenceContact


async def status_facts(
    session: AsyncSession, *, enrolment_ids: Collection[uuid.UUID], under_way: Collection[str]
) -> Rows[Row[Any]]:
    """The facts ``enrolments.statuses`` derives each enrolment's status from, in one
    statement, as rows of ``enrolment_id`` and the fields of ``StatusFacts``;
    ``under_way`` is the rule's set of statuses of a call still in progress; with each, the
    row's sequence, workspace, stored ``status`` and whether it is ``active``, read under
    the row's lock (its count moves from that status)."""
    same_pair = (Call.sequence_id == SequenceContact.sequence_id) & (
        Call.contact_id == SequenceContact.contact_id
    )
    last_call = (
        select(Call.status)
        .where(same_pair, Call.status != CallStatus.NOT_INITIATED.value)
        .order_by(Call.created_at.desc(), Call.id.desc())
        .limit(1)
        .correlate(SequenceContact)
        .scalar_subquery()
    )
    rows = await session.execute(
        select(
            SequenceContact.id.label("enrolment_id"),
            exists().where(same_pair, Call.connected_at.is_not(None)).label("reached_a_person"),
            exists()
            .where(PhoneNumber.contact_id == SequenceContact.contact_id)
            .label("has_number"),
            exists().where(same_pair, Call.status.in_(list(under_way))).label("under_way"),
            last_call.label("last_call"),
            SequenceContact.sequence_id,
            SequenceContact.contact_id,
            SequenceContact.workspace_id,
            SequenceContact.status,
            SequenceContact.deleted_at.is_(None).label("active"),
        )
        .where(SequenceContact.id.in_(list(enrolment_ids)))
        .with_for_update(of=SequenceContact, key_share=True)
    )
    return rows.all()


async def store_statuses(session: AsyncSession, *, statuses: dict[uuid.UUID, str | None]) -> None:
    """Write several enrolments' statuses in one statement."""
    if not statuses:
        return
    await session.execute(
        update(SequenceContact)
        .where(SequenceContact.id.in_(list(statuses)))
        .values(
            status=case(
                {key: literal(value, String) for key, value in statuses.items()},
                value=SequenceContact.id,
                else_=SequenceContact.status,
            )
        )
    )
