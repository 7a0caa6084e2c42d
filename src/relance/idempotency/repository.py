"""Queries on answered ``Idempotency-Key`` requests."""

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from relance.db.idempotency import IdempotentRequest


async def find(session: AsyncSession, *, key: str) -> IdempotentRequest | None:
    """The organization's request sent with ``key`` (the scope adds the organization)."""
    return await session.scalar(select(IdempotentRequest).where(IdempotentRequest.key == key))


async def insert(session: AsyncSession, row: IdempotentRequest) -> None:
    """Keep an answer; a concurrent request that kept one for the same key first makes this
    one fail on the unique key (``api.errors``: 409), and its change rolls back with it."""
    session.add(row)
    await session.flush()


async def forget(session: AsyncSession, row: IdempotentRequest) -> None:
    await session.delete(row)
    await session.flush()


async def purge(session: AsyncSession, *, before: datetime) -> int:
    """Delete every organization's answers kept before ``before``; how many went."""
    result = await session.execute(
        delete(IdempotentRequest).where(IdempotentRequest.created_at < before)
    )
    return result.rowcount  # type: ignore[attr-defined]
