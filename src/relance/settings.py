"""Settings read from the environment (``RELANCE_*``)."""

import json
from functools import cached_property
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from relance.plans import DEFAULT_RATE_LIMITS, Plan, parse_plan
from relance.secretbox import SecretBox

ADMIN_TOKEN_MIN_LENGTH = 32
# The drivers Relance ships with; the plain spellings operators write are mapped to them.
SUPPORTED_DATABASE_URLS = ("sqlite+aiosqlite://", "postgresql+asyncpg://")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RELANCE_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///./relance.db"
    redis_url: str | None = None
    admin_token: str | None = None
    # Wrong admin tokens one client address may send in a minute; past it, every admin
    # request from that address is 429 until the minute is over.
    admin_failures_per_minute: int = Field(default=10, ge=1)
    # A JSON object of plan to requests per minute; plans it leaves out keep their default.
    rate_limits: str | None = None
    default_region: str = "FR"
    # How long /opencx runs stay readable; `relance runs purge` deletes older ones.
    run_retention_days: int = Field(default=30, ge=1)
    # How long events stay in /v1/events (and deliverable); `relance events purge`.
    event_retention_days: int = Field(default=30, ge=1)
    # How old an event must be before /v1/events shows it: by then the transaction that
    # recorded it has surely ended (its deadline is RELANCE_DB_TIMEOUT_S and half a second),
    # so that no later page can gain an event before the cursor. Default: that deadline + 1 s.
    event_feed_settle_s: float | None = Field(default=None, ge=0, le=3600)
    # "off": this server sends no webhooks (a `relance worker` does).
    webhook_delivery: Literal["on", "off"] = "on"
    # Webhook URLs may name loopback, private and link-local addresses (tests, private nets).
    webhook_allow_private: bool = False
    # How long a receiver may take to answer an attempt.
    webhook_timeout_s: float = Field(default=10.0, gt=0, le=300)
    # Seconds before each attempt, comma-separated; the Standard Webhooks schedule by default.
    webhook_retry_schedule: str | None = None
    # The keys webhook secrets are sealed under, comma-separated: the first seals, all open
    # (relance.secretbox). Unset: no endpoint can be created or rotated.
    secret_key: str | None = Field(default=None, repr=False)
    # How often an idle dispatcher looks for due deliveries.
    webhook_poll_s: float = Field(default=1.0, gt=0, le=60)
    # Largest request body accepted, in bytes.
    max_body_bytes: int = Field(default=1024 * 1024, ge=1)
    # How long the database may take to connect, hand out a pooled connection or answer a
    # statement (and, on SQLite, how long a writer waits for the lock) before the request
    # answers 503 UNAVAILABLE.
    db_timeout_s: float = Field(default=5.0, gt=0, le=300)
    # How long Redis may take to count a request before this process counts it alone.
    redis_timeout_s: float = Field(default=0.5, gt=0, le=60)
    # /metrics answers only with this bearer token; without one it does not exist.
    metrics_token: str | None = None
    # One JSON object per line (for collectors), or lines for a person at a terminal.
    log_format: Literal["json", "console"] = "json"
    # On SIGTERM, how long in-flight requests may take to finish before the process exits.
    shutdown_grace_s: float = Field(default=30.0, ge=0, le=3600)

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, url: str) -> str:
        """Accept the plain URLs operators write and pick the async driver for them."""
        for plain, driver in (
            ("postgresql://", "postgresql+asyncpg://"),
            ("postgres://", "postgresql+asyncpg://"),
            ("sqlite://", "sqlite+aiosqlite://"),
        ):
            if url.startswith(plain):
                return driver + url[len(plain) :]
        if not url.startswith(SUPPORTED_DATABASE_URLS):
            kind = url.partition(":")[0] if ":" in url else url
            raise ValueError(
                f"RELANCE_DATABASE_URL is of an unsupported kind ({kind!r}): "
                "use sqlite:///PATH or postgresql://USER@HOST/DATABASE"
            )
        return url

    @field_validator("admin_token")
    @classmethod
    def _admin_token_strength(cls, token: str | None) -> str | None:
        """The admin token opens every tenant: no shorter than ``ADMIN_TOKEN_MIN_LENGTH``.
        Empty means unset (the admin API does not exist)."""
        if token and len(token) < ADMIN_TOKEN_MIN_LENGTH:
            raise ValueError(
                f"RELANCE_ADMIN_TOKEN must be at least {ADMIN_TOKEN_MIN_LENGTH} characters "
                "(for instance: openssl rand -hex 32)"
            )
        return token or None

    @field_validator("rate_limits")
    @classmethod
    def _rate_limits_parse(cls, raw: str | None) -> str | None:
        if raw is not None:
            parse_rate_limits(raw)
        return raw

    @field_validator("webhook_retry_schedule")
    @classmethod
    def _schedule_parses(cls, raw: str | None) -> str | None:
        if raw is not None:
            parse_schedule(raw)
        return raw

    @field_validator("secret_key")
    @classmethod
    def _secret_key_parses(cls, raw: str | None) -> str | None:
        return raw if SecretBox.parse(raw) is not None else None

    @cached_property
    def secret_box(self) -> SecretBox | None:
        """What seals and opens webhook secrets; None without RELANCE_SECRET_KEY."""
        return SecretBox.parse(self.secret_key)

    @cached_property
    def retry_schedule(self) -> tuple[float, ...]:
        """Seconds before each attempt of a webhook delivery, the first one included."""
        if self.webhook_retry_schedule:
            return parse_schedule(self.webhook_retry_schedule)
        return DEFAULT_RETRY_SCHEDULE

    @property
    def feed_settle_s(self) -> float:
        if self.event_feed_settle_s is not None:
            return self.event_feed_settle_s
        return self.db_timeout_s + 1.5

    @cached_property
    def plan_rate_limits(self) -> dict[Plan, int]:
        """Requests per minute for every plan, defaults overlaid with RELANCE_RATE_LIMITS."""
        limits = dict(DEFAULT_RATE_LIMITS)
        if self.rate_limits:
            limits.update(parse_rate_limits(self.rate_limits))
        return limits


# Standard Webhooks': at once, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h.
DEFAULT_RETRY_SCHEDULE = (0.0, 5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0)


def parse_schedule(raw: str) -> tuple[float, ...]:
    """``0,1,2`` -> (0.0, 1.0, 2.0); ValueError with a readable message otherwise."""
    try:
        delays = tuple(float(part) for part in raw.split(","))
    except ValueError:
        raise ValueError(
            "RELANCE_WEBHOOK_RETRY_SCHEDULE must be comma-separated seconds, such as 0,5,300"
        ) from None
    if not all(0 <= d <= 7 * 86400 for d in delays):
        raise ValueError("RELANCE_WEBHOOK_RETRY_SCHEDULE's delays are 0 to 604800 seconds")
    return delays


def parse_rate_limits(raw: str) -> dict[Plan, int]:
    """Parse ``{"EXPERT": 100000}``; raise ValueError with a readable message otherwise."""
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as error:
        raise ValueError(f"RELANCE_RATE_LIMITS is not valid JSON: {error}") from None
    if not isinstance(value, dict):
        raise ValueError('RELANCE_RATE_LIMITS must be a JSON object such as {"EXPERT": 100000}')
    parsed: dict[Plan, int] = {}
    for name, per_minute in value.items():
        plan = parse_plan(name)
        if plan is None:
            raise ValueError(f"RELANCE_RATE_LIMITS names an unknown plan: {name!r}")
        if isinstance(per_minute, bool) or not isinstance(per_minute, int) or per_minute < 1:
            raise ValueError(f"RELANCE_RATE_LIMITS[{name!r}] must be a positive integer")
        parsed[plan] = per_minute
    return parsed
