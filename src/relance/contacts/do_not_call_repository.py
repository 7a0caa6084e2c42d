"""Queries on the organization's do-not-call list (``contacts.do_not_call``)."""

from collections.abc import Collection
from typing import Any

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from relance.db.dialect import insert_ignoring_conflicts
from relance.db.models import DoNotCallNumber


async def add(session: AsyncSession, rows: list[dict]) -> int:
    """Insert the numbers not listed yet; how many were."""
    if not rows:
        return 0
    statement = insert_ignoring_conflicts(
        session, DoNotCallNumber, conflict_columns=["organization_id", "number"], returning=("id",)
    )
    return len((await session.execute(statement, rows)).all())


async def page(
    session: AsyncSession, *, number: str | None, offset: int, limit: int
) -> tuple[int, list[DoNotCallNumber]]:
    """The list, newest first, or the one entry of ``number``."""
    conditions = [] if number is None else [DoNotCallNumber.number == number]
    total = await session.scalar(
        select(func.count()).select_from(DoNotCallNumber).where(*conditions)
    )
    rows = await session.scalars(
        select(DoNotCallNumber)
        .where(*conditions)
        .order_by(DoNotCallNumber.created_at.desc(), DoNotCallNumber.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return total or 0, list(rows)


async def remove(session: AsyncSession, number: str) -> bool:
    result = await session.execute(
        delete(DoNotCallNumber)
        .where(DoNotCallNumber.number == number)
        .returning(DoNotCallNumber.id)
    )
    return bool(result.all())


async def listed(session: AsyncSession, numbers: Collection[str]) -> set[str]:
    """Which of these numbers are on the list."""
    if not numbers:
        return set()
    rows = await session.scalars(
        select(DoNotCallNumber.number).where(DoNotCallNumber.number.in_(list(numbers)))
    )
    return set(rows)


def is_listed(number: Any) -> ColumnElement[bool]:
    """For a statement over numbers: ``number`` is on the list (the scope's organization's)."""
    return select(DoNotCallNumber.id).where(DoNotCallNumber.number == number).exists()
