"""API key format, generation and digests."""

import hashlib
import re
import secrets

KEY_PATTERN = re.compile(r"^sk_(live|test)_[A-Za-z0-9_-]{32,}$")
MODES = ("live", "test")


def generate_key(mode: str) -> str:
    """A new clear key: ``sk_<mode>_`` and 43 URL-safe random characters (256 bits)."""
    return f"sk_{mode}_{secrets.token_urlsafe(32)}"


def digest(key: str) -> str:
    """What is stored. Keys carry 256 random bits, so a fast unsalted hash is enough."""
    return hashlib.sha256(key.encode()).hexdigest()


def is_well_formed(key: str) -> bool:
    return KEY_PATTERN.fullmatch(key) is not None
