"""Queries on contacts and their phone numbers."""

import uuid
from collections import defaultdict
from collections.abc import Collection

from sqlalchemy import ColumnElement, ScalarSelect, Select, case, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from relance.db.dialect import json_array, json_object, json_uuid
from relance.db.models import Contact, PhoneNumber
from relance.enrolments.repository import Lock, locked


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


def numbers_json(dialect: str, contact_id: ColumnElement) -> ScalarSelect:
    """For a page's statement: the numbers of the contact ``contact_id`` names, in its
    order, as the wire's JSON array of ``PhoneNumberDto``."""
    return json_array(
        dialect,
        _numbers_of(contact_id, "id", "number", "position"),
        lambda n: json_object(dialect, {"id": json_uuid(dialect, n.id), "number": n.number}),
        lambda n: [n.position],
    )


def zones_json(dialect: str, contact_id: ColumnElement) -> ScalarSelect:
    """For a page's statement: the zone keys of the contact's numbers
    (``PhoneNumber.time_zones``) as one JSON array of strings, in an order that does not
    matter: it is not shown."""
    return json_array(
        dialect, _numbers_of(contact_id, "time_zones"), lambda n: n.time_zones, lambda n: []
    )


def _numbers_of(contact_id: ColumnElement, *columns: str) -> Select:
    numbers = PhoneNumber.__table__
    return (
        select(*(numbers.c[name] for name in columns))
        .where(numbers.c.contact_id == contact_id)
        .correlate_except(numbers)
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


async def set_number_zones(session: AsyncSession, zones: dict[uuid.UUID, str]) -> None:
    """Store several numbers' zone keys in one statement."""
    if zones:
        await session.execute(
            update(PhoneNumber)
            .where(PhoneNumber.id.in_(list(zones)))
            .values(time_zones=case(zones, value=PhoneNumber.id))
        )


async def delete_contact(session: AsyncSession, contact_id: uuid.UUID) -> None:
    await session.execute(delete(Contact).where(Contact.id == contact_id))
