"""Settings read from the environment (``RELANCE_*``)."""

import json
from functools import cached_property

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from relance.plans import DEFAULT_RATE_LIMITS, Plan, parse_plan

# The drivers Relance ships with; the plain spellings operators write are mapped to them.
SUPPORTED_DATABASE_URLS = ("sqlite+aiosqlite://", "postgresql+asyncpg://")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RELANCE_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///./relance.db"
    redis_url: str | None = None
    admin_token: str | None = None
    # A JSON object of plan to requests per minute; plans it leaves out keep their default.
    rate_limits: str | None = None
    default_region: str = "FR"
    # How long /opencx runs stay readable; `relance runs purge` deletes older ones.
    run_retention_days: int = Field(default=30, ge=1)
    # Largest request body accepted, in bytes.
    max_body_bytes: int = Field(default=1024 * 1024, ge=1)

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

    @field_validator("rate_limits")
    @classmethod
    def _rate_limits_parse(cls, raw: str | None) -> str | None:
        if raw is not None:
            parse_rate_limits(raw)
        return raw

    @cached_property
    def plan_rate_limits(self) -> dict[Plan, int]:
        """Requests per minute for every plan, defaults overlaid with RELANCE_RATE_LIMITS."""
        limits = dict(DEFAULT_RATE_LIMITS)
        if self.rate_limits:
            limits.update(parse_rate_limits(self.rate_limits))
        return limits


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
