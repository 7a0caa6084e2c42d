"""Queries of the OpenCX dialect: contacts by id, email or number, and runs."""

import uuid
from collections.abc import Collection
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from relance.db.models import Contact, ContinuousRun, PhoneNumber


async def contacts_by_id(
    session: AsyncSession, *, workspace_id: uuid.UUID, ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, Contact]:
    if not ids:
        return {}
    rows = await session.scalars(
        select(Contact).where(Contact.workspace_id == workspace_id, Contact.id.in_(list(ids)))
    )
    return {c.id: c for c in rows}


async def oldest_by_email(
    session: AsyncSession, *, workspace_id: uuid.UUID, email_keys: Collection[str]
) -> dict[str, Contact]:
    """For each lower-cased email, the oldest contact of the workspace that has it."""
    if not email_keys:
        return {}
    rows = await session.scalars(
        select(Contact)
        .where(Contact.workspace_id == workspace_id, Contact.email_key.in_(list(email_keys)))
        .order_by(Contact.created_at, Contact.id)
    )
    found: dict[str, Contact] = {}
    for contact in rows:
        if contact.email_key is not None:  # always: the query matched on it
            found.setdefault(contact.email_key, contact)
    return found


async def oldest_by_number(
    session: AsyncSession, *, workspace_id: uuid.UUID, numbers: Collection[str]
) -> dict[str, Contact]:
    """For each E.164 number, the oldest contact of the workspace that holds it."""
    if not numbers:
        return {}
    rows = await session.execute(
        select(PhoneNumber.number, Contact)
        .join(Contact, Contact.id == PhoneNumber.contact_id)
        .where(PhoneNumber.workspace_id == workspace_id, PhoneNumber.number.in_(list(numbers)))
        .order_by(Contact.created_at, Contact.id)
    )
    found: dict[str, Contact] = {}
    for number, contact in rows:
        found.setdefault(number, contact)
    return found


async def insert_run(session: AsyncSession, run: ContinuousRun) -> None:
    session.add(run)
    await session.flush()


async def get_run(session: AsyncSession, run_id: uuid.UUID) -> ContinuousRun | None:
    return await session.scalar(select(ContinuousRun).where(ContinuousRun.id == run_id))


async def delete_runs_before(session: AsyncSession, moment: datetime) -> int:
    result = await session.execute(delete(ContinuousRun).where(ContinuousRun.created_at < moment))
    return cast("CursorResult[Any]", result).rowcount or 0
