"""Per-organization request budgets, per minute, by plan (the ``limits`` library).

In-memory by default, which holds for one process; with RELANCE_REDIS_URL set the
counters live in Redis, so that every worker and every host shares one budget.
"""

import math
import time
import uuid
from dataclasses import dataclass

from limits import RateLimitItemPerMinute
from limits.aio.strategies import FixedWindowRateLimiter
from limits.storage import storage_from_string

from relance.plans import Plan


@dataclass(frozen=True)
class Budget:
    limit: int
    remaining: int
    reset_time: float  # Unix time at which the window ends
    allowed: bool

    @property
    def reset_at(self) -> int:
        """The window's end in whole Unix seconds, as X-RateLimit-Reset shows it."""
        return math.ceil(self.reset_time)

    @property
    def retry_after_seconds(self) -> int:
        return max(1, math.ceil(self.reset_time - time.time()))

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_at),
        }


class RateLimiter:
    def __init__(self, *, per_minute: dict[Plan, int], redis_url: str | None) -> None:
        self._items = {plan: RateLimitItemPerMinute(n) for plan, n in per_minute.items() if n > 0}
        self._storage = storage_from_string(_storage_uri(redis_url))
        self._limiter = FixedWindowRateLimiter(self._storage)

    async def consume(self, *, organization_id: uuid.UUID, plan: Plan) -> Budget:
        """Count one request against the organization's budget for this minute."""
        item = self._items[plan]
        key = str(organization_id)
        allowed = await self._limiter.hit(item, key)
        stats = await self._limiter.get_window_stats(item, key)
        return Budget(
            limit=item.amount,
            remaining=stats.remaining,
            reset_time=stats.reset_time,
            allowed=allowed,
        )


def _storage_uri(redis_url: str | None) -> str:
    if not redis_url:
        return "async+memory://"
    for scheme in ("redis://", "rediss://", "redis+unix://"):
        if redis_url.startswith(scheme):
            return "async+" + redis_url
    return redis_url
