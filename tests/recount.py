"""Every maintained count of some sequences against a recount of the rows it stands for."""

import uuid

from collections import defaultdict

from sqlalchemy import Select, func, select

from relance.calling_windows import queue_key
from relance.db.models import (
    PhoneNumber,
    SequenceAssignee,
    SequenceContact,
    SequenceContactTag,
    SequenceStatusCount,
    SequenceTagCount,
)

ACTIVE = SequenceContact.deleted_at.is_(None)


async def _pairs(session, statement: Select) -> dict:  # noqa: ANN001
    return {tuple(row[:-1]): row[-1] for row in (await session.execute(statement)).all()}


async def drift(database, sequence_ids: list[str]) -> dict:  # noqa: ANN001
    """(what, key) -> (maintained, recount), wherever the two differ: each assignee's load,
    each status count and each tag count; each tag row whose copy of its enrolment's
    sequence, createdAt and deletedAt differs from the enrolment's; and each enrolment
    whose zone key differs from the queue key of its contact's numbers."""
    ids = [uuid.UUID(s) for s in sequence_ids]
    link = SequenceContactTag
    async with database.unscoped_session(write=False) as session:
        pairs = {
            "load": (
                await _pairs(session, select(
                    SequenceAssignee.sequence_id, SequenceAssignee.workspace_membership_id, SequenceAssignee.active_load
                ).where(SequenceAssignee.sequence_id.in_(ids))),
                await _pairs(session, select(
                    SequenceContact.sequence_id, SequenceContact.assigned_to_workspace_membership_id, func.count()
                ).where(ACTIVE, SequenceContact.sequence_id.in_(ids)).group_by(
                    SequenceContact.sequence_id, SequenceContact.assigned_to_workspace_membership_id)),
            ),
            "status": (
                await _pairs(session, select(
                    SequenceStatusCount.sequence_id, SequenceStatusCount.status, SequenceStatusCount.active_count
                ).where(SequenceStatusCount.sequence_id.in_(ids))),
                await _pairs(session, select(
                    SequenceContact.sequence_id, SequenceContact.status, func.count()
                ).where(ACTIVE, SequenceContact.status.is_not(None), SequenceContact.sequence_id.in_(ids)).group_by(
                    SequenceContact.sequence_id, SequenceContact.status)),
            ),
            "tag": (
                await _pairs(session, select(
                    SequenceTagCount.sequence_id, SequenceTagCount.tag_id, SequenceTagCount.active_count
                ).where(SequenceTagCount.sequence_id.in_(ids))),
                await _pairs(session, select(SequenceContact.sequence_id, link.tag_id, func.count()).join(
                    link, link.sequence_contact_id == SequenceContact.id
                ).where(ACTIVE, SequenceContact.sequence_id.in_(ids)).group_by(SequenceContact.sequence_id, link.tag_id)),
            ),
        }
        copies = (await session.execute(
            select(link.sequence_contact_id, link.tag_id, link.sequence_id, link.enrolment_created_at,
                   link.enrolment_deleted_at, SequenceContact.sequence_id, SequenceContact.created_at,
                   SequenceContact.deleted_at)
            .join(SequenceContact, SequenceContact.id == link.sequence_contact_id)
            .where(SequenceContact.sequence_id.in_(ids))
        )).all()
        zone_keys = (await session.execute(
            select(SequenceContact.id, SequenceContact.zone_key, PhoneNumber.time_zones)
            .outerjoin(PhoneNumber, PhoneNumber.contact_id == SequenceContact.contact_id)
            .where(ACTIVE, SequenceContact.sequence_id.in_(ids))
        )).all()
    differ = {
        (what, key): (kept.get(key, 0), counted.get(key, 0))
        for what, (kept, counted) in pairs.items()
        for key in set(kept) | set(counted)
        if kept.get(key, 0) != counted.get(key, 0)
    }
    for row in copies:
        if tuple(row[2:5]) != tuple(row[5:8]):
            differ[("tag row", (row[0], row[1]))] = (tuple(row[2:5]), tuple(row[5:8]))
    stored: dict = {}
    numbers: dict = defaultdict(list)
    for enrolment_id, kept_key, number_key in zone_keys:
        stored[enrolment_id] = kept_key
        if number_key is not None:
            numbers[enrolment_id].append(number_key)
    for enrolment_id, kept_key in stored.items():
        if kept_key != (derived := queue_key(numbers[enrolment_id])):
            differ[("zone key", enrolment_id)] = (kept_key, derived)
    return differ
