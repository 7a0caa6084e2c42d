"""Pydantic's validation errors read the way Relance reports them: the first one, located."""

from collections.abc import Sequence
from typing import Any

from relance.api.json_body import DUPLICATE_KEY
from relance.errors import Location, ValidationFailed, WireName

# Where FastAPI found the value; not part of the name the client knows it by.
_SOURCES = ("body", "query", "path")


def first_error(errors: Sequence[Any]) -> ValidationFailed:
    """The first of Pydantic's errors as a ValidationFailed, located by the names the client
    sent (inside whatever was validated: the request, or one item of a batch)."""
    if not errors:
        return ValidationFailed("Invalid request")
    first = errors[0]
    if first.get("type") == "json_invalid":
        reason = str(first.get("ctx", {}).get("error", ""))
        # A key sent twice (api/json_body.py) is said as such; other decoding errors alike.
        message = reason if reason.startswith(DUPLICATE_KEY) else "not valid JSON"
        return ValidationFailed(message, at=("body",))
    location: Location = tuple(
        WireName(p) if isinstance(p, str) else p for p in first.get("loc", ()) if p not in _SOURCES
    )
    # A validator's ValueError reads as its own message, without Pydantic's prefix.
    message = first.get("msg", "invalid value").removeprefix("Value error, ")
    if first.get("type") == "extra_forbidden":
        message = "unknown field"
    return ValidationFailed(message, at=location)


def describe_validation_errors(errors: Sequence[Any]) -> str:
    """``contacts[2].contactId: Input should be a valid UUID`` for the first error of a
    request; one about the request as a whole is about its ``body``."""
    error = first_error(errors)
    if errors and not error.location:
        error = error.within("body")
    return error.describe()
