"""Queries on tags and on the tags of sequence contacts."""

import uuid
from collections import defaultdict
from collections.abc import Collection

from sqlalchemy import ColumnElement, ScalarSelect, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from relance.db.dialect import (
    insert_ignoring_conflicts,
    json_array,
    json_bool,
    json_object,
    json_uuid,
)
from relance.db.models import SequenceContact, SequenceContactTag, Tag


def label_key(label: str) -> str:
    """The form labels are compared in: Unicode case folding, done in Python because
    SQLite's lower() folds ASCII only."""
    return label.casefold()


async def get(session: AsyncSession, tag_id: uuid.UUID, *, for_update: bool = False) -> Tag | None:
    """One tag; ``for_update`` locks it until commit (a concurrent delete finishes first)."""
    statement = select(Tag).where(Tag.id == tag_id)
    if for_update:
        statement = statement.with_for_update().execution_options(populate_existing=True)
    return await session.scalar(statement)


async def find_by_label(
    session: AsyncSession, *, workspace_id: uuid.UUID, label: str
) -> Tag | None:
    return await session.scalar(
        select(Tag).where(Tag.workspace_id == workspace_id, Tag.label_key == label_key(label))
    )


async def page(
    session: AsyncSession, *, workspace_id: uuid.UUID | None, offset: int, limit: int
) -> tuple[int, list[Tag]]:
    conditions = [] if workspace_id is None else [Tag.workspace_id == workspace_id]
    total = await session.scalar(select(func.count()).select_from(Tag).where(*conditions))
    rows = await session.scalars(
        select(Tag).where(*conditions).order_by(Tag.created_at, Tag.id).offset(offset).limit(limit)
    )
    return total or 0, list(rows)


async def in_workspace(
    session: AsyncSession, *, workspace_id: uuid.UUID, tag_ids: Collection[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of these ids are tags of the workspace."""
    if not tag_ids:
        return set()
    rows = await session.scalars(
        select(Tag.id).where(Tag.workspace_id == workspace_id, Tag.id.in_(list(tag_ids)))
    )
    return set(rows)


async def tags_of(
    session: AsyncSession, enrolment_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, list[Tag]]:
    """Each sequence contact's tags, by label, in one statement."""
    by_enrolment: dict[uuid.UUID, list[Tag]] = defaultdict(list)
    if enrolment_ids:
        rows = await session.execute(
            select(SequenceContactTag.sequence_contact_id, Tag)
            .join(Tag, Tag.id == SequenceContactTag.tag_id)
            .where(SequenceContactTag.sequence_contact_id.in_(list(enrolment_ids)))
            .order_by(SequenceContactTag.sequence_contact_id, Tag.label_key, Tag.id)
        )
        for enrolment_id, tag in rows:
            by_enrolment[enrolment_id].append(tag)
    return by_enrolment


def tags_json(dialect: str, enrolment_id: ColumnElement) -> ScalarSelect:
    """For a page's statement: the tags of the sequence contact ``enrolment_id`` names, by
    label, as the wire's JSON array of ``SequenceContactTagDto``."""
    links, tags = SequenceContactTag.__table__.c, Tag.__table__.c
    rows = (
        select(tags.id, tags.label, tags.is_success_tag, tags.label_key)
        .select_from(SequenceContactTag.__table__)
        .join(Tag.__table__, tags.id == links.tag_id)
        .where(links.sequence_contact_id == enrolment_id)
        .correlate_except(SequenceContactTag.__table__, Tag.__table__)
    )
    return json_array(
        dialect,
        rows,
        lambda t: json_object(
            dialect,
            {
                "id": json_uuid(dialect, t.id),
                "label": t.label,
                "isSuccessTag": json_bool(dialect, t.is_success_tag),
            },
        ),
        lambda t: [t.label_key, t.id],
    )


async def attach(
    session: AsyncSession, *, enrolment: SequenceContact, tag_ids: Collection[uuid.UUID]
) -> list[uuid.UUID]:
    """Put tags on an active sequence contact; those already there stay once. Returns the
    tags put on now. Each row carries its enrolment's order (``SequenceContactTag``)."""
    if not tag_ids:
        return []
    statement = insert_ignoring_conflicts(
        session, SequenceContactTag, conflict_columns=["sequence_contact_id", "tag_id"]
    )
    rows = await session.scalars(
        statement.values(
            [
                {
                    "sequence_contact_id": enrolment.id,
                    "tag_id": t,
                    "workspace_id": enrolment.workspace_id,
                    "sequence_id": enrolment.sequence_id,
                    "enrolment_created_at": enrolment.created_at,
                    "enrolment_deleted_at": enrolment.deleted_at,
                }
                for t in tag_ids
            ]
        ).returning(SequenceContactTag.__table__.c.tag_id)
    )
    return list(rows)


async def detach(
    session: AsyncSession,
    *,
    enrolment_id: uuid.UUID,
    keep: Collection[uuid.UUID] | None = None,
    only: Collection[uuid.UUID] | None = None,
) -> list[uuid.UUID]:
    """Take tags off a sequence contact: all but ``keep``, or just ``only``; returns the
    tags taken off."""
    statement = delete(SequenceContactTag).where(
        SequenceContactTag.sequence_contact_id == enrolment_id
    )
    if keep is not None:
        statement = statement.where(SequenceContactTag.tag_id.not_in(list(keep)))
    if only is not None:
        statement = statement.where(SequenceContactTag.tag_id.in_(list(only)))
    return list(await session.scalars(statement.returning(SequenceContactTag.tag_id)))


async def delete_tag(session: AsyncSession, tag_id: uuid.UUID) -> None:
    # The foreign key's ON DELETE CASCADE takes it off every contact that carries it.
    await session.execute(delete(Tag).where(Tag.id == tag_id))
