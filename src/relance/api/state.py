"""What a request carries between the layers that handle it."""

from collections.abc import MutableMapping
from typing import Any

from relance.ratelimit import Budget

_BUDGET = "relance_rate_limit"


def record_budget(scope: MutableMapping[str, Any], budget: Budget) -> None:
    """Remember the budget this request consumed (read back for the X-RateLimit headers)."""
    scope.setdefault("state", {})[_BUDGET] = budget


def spent_budget(scope: MutableMapping[str, Any]) -> Budget | None:
    """The budget this request consumed, if it was authenticated."""
    return scope.get("state", {}).get(_BUDGET)
