"""The organization's do-not-call list: numbers the queue never offers and that no call is
placed to (``calls.service``). Numbers are normalized like every number (E.164); an
import of a call already in CONNECTED or an end state stays possible."""

from sqlalchemy.ext.asyncio import AsyncSession

from relance.contacts import do_not_call_repository as repository
from relance.contacts.phones import InvalidPhoneNumber, to_e164
from relance.db.models import DoNotCallNumber
from relance.db.types import new_id, utcnow
from relance.errors import NotFound, ValidationFailed
from relance.tenancy.scope import scope_of


def normalize(raw: str, *, default_region: str, at: tuple[str | int, ...]) -> str:
    """The number in E.164; a 400 located at ``at`` when it is no valid number."""
    try:
        return to_e164(raw, default_region=default_region)
    except InvalidPhoneNumber as error:
        raise ValidationFailed(str(error), at=at) from None


async def add(
    session: AsyncSession, *, numbers: list[str], reason: str | None, default_region: str
) -> int:
    """List these numbers (one statement); how many were not listed yet."""
    normalized = [
        normalize(raw, default_region=default_region, at=("numbers", index))
        for index, raw in enumerate(numbers)
    ]
    organization_id, now = scope_of(session).organization_id, utcnow()
    rows = [
        {
            "id": new_id(),
            "organization_id": organization_id,
            "number": number,
            "reason": reason,
            "created_at": now,
        }
        for number in dict.fromkeys(normalized)
    ]
    return await repository.add(session, rows)


async def page(
    session: AsyncSession, *, number: str | None, default_region: str, offset: int, limit: int
) -> tuple[int, list[DoNotCallNumber]]:
    """The list, newest first; ``number`` (any spelling) narrows it to that number."""
    if number is not None:
        number = normalize(number, default_region=default_region, at=("number",))
    return await repository.page(session, number=number, offset=offset, limit=limit)


async def remove(session: AsyncSession, *, number: str, default_region: str) -> None:
    """Take a number off the list; 404 when it is not on it."""
    normalized = normalize(number, default_region=default_region, at=("number",))
    if not await repository.remove(session, normalized):
        raise NotFound("Number not on the do-not-call list")
