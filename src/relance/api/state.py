"""What a request carries between the layers that handle it."""

import uuid
from collections.abc import MutableMapping
from typing import Any

from relance.ratelimit import Budget

_BUDGET = "relance_rate_limit"
_ORGANIZATION = "relance_organization_id"
_REQUEST_ID = "relance_request_id"


def record_budget(scope: MutableMapping[str, Any], budget: Budget) -> None:
    """Remember the budget this request consumed (read back for the X-RateLimit headers)."""
    scope.setdefault("state", {})[_BUDGET] = budget


def spent_budget(scope: MutableMapping[str, Any]) -> Budget | None:
    """The budget this request consumed, if it was authenticated."""
    return scope.get("state", {}).get(_BUDGET)


def record_organization(scope: MutableMapping[str, Any], organization_id: uuid.UUID) -> None:
    """Remember whose key authenticated this request (for its log line)."""
    scope.setdefault("state", {})[_ORGANIZATION] = organization_id


def organization_of(scope: MutableMapping[str, Any]) -> uuid.UUID | None:
    return scope.get("state", {}).get(_ORGANIZATION)


def record_request_id(scope: MutableMapping[str, Any], request_id: str) -> None:
    scope.setdefault("state", {})[_REQUEST_ID] = request_id


def request_id_of(scope: MutableMapping[str, Any]) -> str | None:
    return scope.get("state", {}).get(_REQUEST_ID)
