"""A continuous sequence's filter: which contacts /opencx may add to it.

A filter is a small JSON document, validated when it is set:

- a condition ``{"field": F, "op": O, "value": V}``, where F is one of ``firstName``,
  ``lastName``, ``email``, ``company``, ``phoneCountry`` (the ISO regions of the contact's
  numbers, e.g. ``FR``) and O is ``eq``, ``neq``, ``contains``, ``startsWith``, ``endsWith``
  (V a string), ``in`` (V a non-empty list of strings) or ``exists`` (V true or false:
  whether the field has a non-empty value);
- or a group ``{"all": [...]}`` / ``{"any": [...]}`` of one or more filters, at most five
  groups deep.

Text comparisons, ``in`` included, ignore case. A field with no value satisfies only
``neq`` and ``exists: false``; ``neq`` is always the negation of ``eq``. On
``phoneCountry`` a condition holds when it holds for any of the contact's numbers.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from relance.contacts.phones import region_of
from relance.db.models import Contact
from relance.errors import ValidationFailed

FIELDS = ("firstName", "lastName", "email", "company", "phoneCountry")
TEXT_OPS = ("eq", "neq", "contains", "startsWith", "endsWith")
OPS = (*TEXT_OPS, "in", "exists")
MAX_GROUP_DEPTH = 5


@dataclass(frozen=True)
class ContactFacts:
    """What a filter can see of a contact."""

    first_name: str | None
    last_name: str | None
    email: str | None
    company: str | None
    phone_countries: tuple[str, ...]

    @classmethod
    def of(cls, contact: Contact, numbers: Iterable[str]) -> "ContactFacts":
        """The facts of ``contact``, whose numbers (E.164) are ``numbers``."""
        return cls(
            first_name=contact.first_name,
            last_name=contact.last_name,
            email=contact.email,
            company=contact.company,
            phone_countries=tuple(region_of(number) for number in numbers),
        )

    def values(self, field: str) -> tuple[str, ...]:
        """The field's non-empty values: one for text fields, one per number for phoneCountry."""
        if field == "phoneCountry":
            return tuple(c for c in self.phone_countries if c)
        value = {
            "firstName": self.first_name,
            "lastName": self.last_name,
            "email": self.email,
            "company": self.company,
        }[field]
        return (value,) if value else ()


def validate(raw: Any, *, path: str = "filter") -> dict:
    """The filter as given, or ValidationFailed naming the first thing wrong
    (``filter.all[1].op``)."""
    _validate(raw, path, depth=0)
    return raw


def _validate(node: Any, path: str, depth: int) -> None:
    if not isinstance(node, dict):
        raise ValidationFailed(f"{path}: must be an object (a condition or a group)")
    groups = [key for key in ("all", "any") if key in node]
    if groups:
        if len(groups) > 1 or len(node) > 1:
            raise ValidationFailed(f"{path}: a group holds exactly one key, 'all' or 'any'")
        if depth >= MAX_GROUP_DEPTH:
            raise ValidationFailed(f"{path}: groups nest at most {MAX_GROUP_DEPTH} levels deep")
        key = groups[0]
        members = node[key]
        if not isinstance(members, list) or not members:
            raise ValidationFailed(f"{path}.{key}: must be a non-empty list of filters")
        for index, member in enumerate(members):
            _validate(member, f"{path}.{key}[{index}]", depth + 1)
        return
    if set(node) != {"field", "op", "value"}:
        raise ValidationFailed(
            f"{path}: a condition has exactly 'field', 'op' and 'value' (or use 'all'/'any')"
        )
    field, op, value = node["field"], node["op"], node["value"]
    if field not in FIELDS:
        raise ValidationFailed(f"{path}.field: must be one of {', '.join(FIELDS)}")
    if op not in OPS:
        raise ValidationFailed(f"{path}.op: must be one of {', '.join(OPS)}")
    if op in TEXT_OPS and not isinstance(value, str):
        raise ValidationFailed(f"{path}.value: must be a string for '{op}'")
    if op == "in" and not (
        isinstance(value, list) and value and all(isinstance(v, str) for v in value)
    ):
        raise ValidationFailed(f"{path}.value: must be a non-empty list of strings for 'in'")
    if op == "exists" and not isinstance(value, bool):
        raise ValidationFailed(f"{path}.value: must be true or false for 'exists'")


def matches(node: dict, contact: ContactFacts) -> bool:
    """Whether a validated filter applies to the contact."""
    if "all" in node:
        return all(matches(member, contact) for member in node["all"])
    if "any" in node:
        return any(matches(member, contact) for member in node["any"])
    op, expected = node["op"], node["value"]
    values = [v.casefold() for v in contact.values(node["field"])]
    if op == "exists":
        return bool(values) == expected
    if op == "neq":
        return not any(v == expected.casefold() for v in values)
    test = _TESTS[op]
    wanted = [e.casefold() for e in expected] if op == "in" else expected.casefold()
    return any(test(v, wanted) for v in values)


_TESTS: dict[str, Callable[[str, Any], bool]] = {
    "eq": lambda value, wanted: value == wanted,
    "contains": lambda value, wanted: wanted in value,
    "startsWith": lambda value, wanted: value.startswith(wanted),
    "endsWith": lambda value, wanted: value.endswith(wanted),
    "in": lambda value, wanted: value in wanted,
}
