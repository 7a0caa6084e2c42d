"""Plans, subscription statuses and what each plan is allowed."""

import enum
import unicodedata


class Plan(enum.StrEnum):
    FREE = "FREE"
    STARTER = "STARTER"
    INTERMEDIAIRE = "INTERMEDIAIRE"
    EXPERT = "EXPERT"


class SubscriptionStatus(enum.StrEnum):
    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"


DEFAULT_RATE_LIMITS: dict[Plan, int] = {
    Plan.FREE: 0,
    Plan.STARTER: 100,
    Plan.INTERMEDIAIRE: 100,
    Plan.EXPERT: 1000,
}

API_PLANS = frozenset({Plan.STARTER, Plan.INTERMEDIAIRE, Plan.EXPERT})


def parse_plan(raw: object) -> Plan | None:
    """Read a plan name; the vendor's spelling ``INTERMÉDIAIRE`` is accepted too."""
    if not isinstance(raw, str):
        return None
    # NFKD splits É into E + a combining accent, which is dropped; nothing else is, so that
    # "F€REE" or a lone surrogate inside a name is no plan rather than FREE.
    folded = "".join(c for c in unicodedata.normalize("NFKD", raw) if not unicodedata.combining(c))
    try:
        return Plan(folded)
    except ValueError:
        return None
