"""Per-organization request budgets, per minute, by plan (the ``limits`` library).

In memory by default, which holds for one process; with RELANCE_REDIS_URL set the
counters live in Redis, so that every worker and every host shares one budget.

Redis is not a single point of failure: when it fails or takes longer than
RELANCE_REDIS_TIMEOUT_S, the request is counted in the process's own in-memory window
instead (logged once when it happens, counted in ``relance_rate_limit_fallbacks``), and
Redis is asked again after ``REDIS_RETRY_S``. The choice is to fail open per process: while
Redis is away an organization may spend its budget once in each process, never more.

The decision and the ``X-RateLimit-Remaining`` reported come from one atomic increment,
so two concurrent requests never see the same remaining count.
"""

import asyncio
import math
import time
import uuid
from dataclasses import dataclass

import structlog
from limits import RateLimitItem, RateLimitItemPerMinute
from limits.aio.storage import Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from relance import metrics
from relance.plans import Plan

log = structlog.stdlib.get_logger("relance")

# After Redis failed, how long requests are counted in memory before Redis is tried again.
REDIS_RETRY_S = 1.0


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
    def __init__(
        self, *, per_minute: dict[Plan, int], redis_url: str | None, redis_timeout_s: float = 0.5
    ) -> None:
        self._items = {plan: RateLimitItemPerMinute(n) for plan, n in per_minute.items() if n > 0}
        self._local = _async_storage("async+memory://")
        self._redis: Storage | None = None
        if redis_url:
            self._redis = _async_storage(
                _storage_uri(redis_url),
                connect_timeout=redis_timeout_s,
                stream_timeout=redis_timeout_s,
            )
        self._timeout_s = redis_timeout_s
        self._redis_retry_at = 0.0  # monotonic time before which Redis is not asked

    async def consume(self, *, organization_id: uuid.UUID, plan: Plan) -> Budget:
        """Count one request against the organization's budget for this minute."""
        item = self._items[plan]
        key = item.key_for(str(organization_id))
        if self._redis is not None and time.monotonic() >= self._redis_retry_at:
            try:
                async with asyncio.timeout(self._timeout_s):
                    budget = await _hit(self._redis, item, key)
            except Exception as error:  # any failure of Redis or of its client
                self._fall_back(error)
            else:
                if self._redis_retry_at:
                    self._redis_retry_at = 0.0
                    log.info("rate limiting uses redis again")
                return budget
        if self._redis is not None:
            metrics.RATE_LIMIT_FALLBACKS.inc()
        return await _hit(self._local, item, key)

    def _fall_back(self, error: Exception) -> None:
        if not self._redis_retry_at:
            log.warning(
                "redis unavailable: rate limiting counts in this process alone",
                error=type(error).__name__,
                retry_s=REDIS_RETRY_S,
            )
        self._redis_retry_at = time.monotonic() + REDIS_RETRY_S

    async def redis_reachable(self) -> bool | None:
        """Whether Redis answers within the timeout; None when none is configured."""
        if self._redis is None:
            return None
        try:
            async with asyncio.timeout(self._timeout_s):
                return bool(await self._redis.check())
        except TimeoutError:
            return False


async def _hit(storage: Storage, item: RateLimitItem, key: str) -> Budget:
    """One fixed-window hit: the count after this request decides, and says what remains."""
    count = await storage.incr(key, item.get_expiry())
    reset_time = await storage.get_expiry(key)
    return Budget(
        limit=item.amount,
        remaining=max(0, item.amount - count),
        reset_time=reset_time,
        allowed=count <= item.amount,
    )


def _async_storage(uri: str, **options: float) -> Storage:
    storage = storage_from_string(uri, **options)
    assert isinstance(storage, Storage), uri  # an async+ URI makes an asyncio storage
    return storage


def _storage_uri(redis_url: str) -> str:
    for scheme in ("redis://", "rediss://", "redis+unix://"):
        if redis_url.startswith(scheme):
            return "async+" + redis_url
    return redis_url


class FailureLimiter:
    """Failed attempts per client address and minute, in this process's memory (a
    guess at the admin token is slowed down, not the operator who knows it)."""

    def __init__(self, *, per_minute: int) -> None:
        self._item = RateLimitItemPerMinute(per_minute)
        self._limiter = MovingWindowRateLimiter(_async_storage("async+memory://"))

    async def exhausted(self, address: str) -> bool:
        """Whether ``address`` has failed as often as a minute allows."""
        return not await self._limiter.test(self._item, address)

    async def record_failure(self, address: str) -> None:
        await self._limiter.hit(self._item, address)
