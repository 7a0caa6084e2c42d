"""Queries on contacts and their phone numbers."""

import functools
import uuid
from collections import defaultdict
from collections.abc import Collection

from sqlalchemy import Row, Select, bindparam, case, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from relance.db.models import Contact, PhoneNumber
from relance.enrolments.repository import Lock, locked
from relance.tenancy.scope import scoped


async def get(
    session: AsyncSession, contact_id: uuid.UUID, *, lock: Lock | None = None
) -> Contact | None:
    """One contact; with ``lock`` (the lock order's first step, ``enrolments.service``),
    locked first and read afresh, never from the session."""
    statement = select(Contact).where(Contact.id == contact_id)
    if lock is not None:
        statement = locked(statement, lock).execution_options(populate_existing=True)
    return await session.scalar(statement)


async def page(
    session: AsyncSession, *, search: str | None, offset: int, limit: int
) -> tuple[int, list[Contact]]:
    query = select(Contact)
    if search:
        term = search.lower()
        query = query.where(
            or_(
                *(
                    func.lower(column).contains(term, autoescape=True)
                    for column in (
                        Contact.first_name,
                        Contact.last_name,
                        Contact.email,
                        Contact.company,
                        Contact.first_name + " " + Contact.last_name,
                    )
                )
            )
        )
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(Contact.created_at, Contact.id).offset(offset).limit(limit)
    )
    return total or 0, list(rows)


async def phone_numbers_of(
    session: AsyncSession, contact_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, list[PhoneNumber]]:
    """Every number of these contacts, in one statement, in each contact's order."""
    by_contact: dict[uuid.UUID, list[PhoneNumber]] = defaultdict(list)
    if contact_ids:
        rows = await session.scalars(
            select(PhoneNumber)
            .where(PhoneNumber.contact_id.in_(list(contact_ids)))
            .order_by(PhoneNumber.contact_id, PhoneNumber.position)
        )
        for number in rows:
            by_contact[number.contact_id].append(number)
    return by_contact


async def numbers_of_page(
    session: AsyncSession, contact_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, list[Row]]:
    """The numbers of a page of contacts as rows (``id``, ``number``), in each contact's
    order, in one Core statement (no ORM objects for a read-only page)."""
    by_contact: dict[uuid.UUID, list[Row]] = defaultdict(list)
    if contact_ids:
        rows = await session.execute(_numbers_of_page(), {"contact_ids": list(contact_ids)})
        for row in rows:
            by_contact[row.contact_id].append(row)
    return by_contact


@functools.cache
def _numbers_of_page() -> Select:
    numbers = PhoneNumber.__table__.c
    return scoped(
        select(numbers.contact_id, numbers.id, numbers.number)
        .where(numbers.contact_id.in_(bindparam("contact_ids", expanding=True)))
        .order_by(numbers.contact_id, numbers.position)
    )


async def insert_contacts(session: AsyncSession, rows: list[dict]) -> None:
    if rows:
        await session.execute(Contact.__table__.insert(), rows)


async def insert_phone_numbers(session: AsyncSession, rows: list[dict]) -> None:
    if rows:
        await session.execute(PhoneNumber.__table__.insert(), rows)


async def delete_phone_numbers(session: AsyncSession, ids: Collection[uuid.UUID]) -> None:
    if ids:
        await session.execute(delete(PhoneNumber).where(PhoneNumber.id.in_(list(ids))))


async def set_phone_positions(session: AsyncSession, positions: dict[uuid.UUID, int]) -> None:
    """Renumber kept numbers in one statement."""
    if positions:
        await session.execute(
            update(PhoneNumber)
            .where(PhoneNumber.id.in_(list(positions)))
            .values(position=case(positions, value=PhoneNumber.id))
        )


async def delete_contact(session: AsyncSession, contact_id: uuid.UUID) -> None:
    await session.execute(delete(Contact).where(Contact.id == contact_id))
