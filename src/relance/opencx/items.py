"""Reading the items of an OpenCX request, as the spec's ``anyOf`` has them.

An item is an object carrying an ``id`` that matches the spec's UUID pattern (which also
admits the nil and the max UUID), an ``email`` that matches its email pattern, or a
``phone_number`` string. It may carry several; keys that are malformed beside a
well-formed one are ignored. An item matching none of the three shapes makes the whole
request a 400.
"""

import re
import uuid
from dataclasses import dataclass
from typing import Any

from relance.errors import ValidationFailed

UUID_PATTERN = re.compile(
    r"^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-8][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}"
    r"|00000000-0000-0000-0000-000000000000|ffffffff-ffff-ffff-ffff-ffffffffffff)$"
)
EMAIL_PATTERN = re.compile(
    r"^(?!\.)(?!.*\.\.)([A-Za-z0-9_'+\-\.]*)[A-Za-z0-9_+-]@([A-Za-z0-9][A-Za-z0-9\-]*\.)+[A-Za-z]{2,}$"
)


@dataclass(frozen=True)
class Item:
    """The usable keys of one item."""

    id: uuid.UUID | None
    email: str | None
    phone_number: str | None


def read_items(raw_items: list[Any]) -> list[Item]:
    """Each item's usable keys; a 400 naming the first item that has none."""
    items = []
    for index, raw in enumerate(raw_items):
        item = _read(raw)
        if item is None:
            raise ValidationFailed(
                "must be an object with a valid id (UUID), email or phone_number",
                at=("contacts", index),
            )
        items.append(item)
    return items


def _read(raw: Any) -> Item | None:
    if not isinstance(raw, dict):
        return None
    raw_id, email, phone = raw.get("id"), raw.get("email"), raw.get("phone_number")
    item = Item(
        id=uuid.UUID(raw_id)
        if isinstance(raw_id, str) and UUID_PATTERN.fullmatch(raw_id)
        else None,
        email=email if isinstance(email, str) and EMAIL_PATTERN.fullmatch(email) else None,
        phone_number=phone if isinstance(phone, str) else None,
    )
    if item.id is None and item.email is None and item.phone_number is None:
        return None
    return item
