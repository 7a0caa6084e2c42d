"""Webhook secrets sealed under the operator's key (RELANCE_SECRET_KEY), so that whoever
reads the database (a backup, a replica, a support query) cannot sign with them.

Sealing is ``cryptography``'s Fernet (AES-128-CBC and HMAC-SHA256, authenticated):
RELANCE_SECRET_KEY is one or more Fernet keys, comma-separated; the first seals, every
one opens (``MultiFernet``), so that an operator rotates the key by putting a new one
first and running ``relance webhooks reencrypt``, then dropping the old one.

A stored value that starts with ``whsec_`` is a secret from before sealing (or written
by a migration that had no key): it is read as it is, and sealed by ``reencrypt`` or the
endpoint's next rotation. A Fernet token never starts so (its first byte is 0x80).
"""

from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

CLEAR_PREFIX = "whsec_"
KEY_VARIABLE = "RELANCE_SECRET_KEY"


class Unreadable(Exception):
    """A stored secret that no key opens: its message is the delivery log's ``lastError``."""


def new_key() -> str:
    """A fresh key for RELANCE_SECRET_KEY (32 random bytes, URL-safe base64)."""
    return Fernet.generate_key().decode()


def is_clear(stored: str) -> bool:
    return stored.startswith(CLEAR_PREFIX)


class SecretBox:
    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError(f"{KEY_VARIABLE} names no key")
        self._fernet = MultiFernet([Fernet(key.encode()) for key in keys])

    @classmethod
    def parse(cls, raw: str | None) -> "SecretBox | None":
        """The box of RELANCE_SECRET_KEY's keys; None when it is unset or empty; a
        ValueError with a readable message when a key is not a Fernet key."""
        keys = [part.strip() for part in (raw or "").split(",") if part.strip()]
        if not keys:
            return None
        try:
            return cls(keys)
        except ValueError:
            raise ValueError(
                f"{KEY_VARIABLE} must be comma-separated keys of 32 bytes in URL-safe base64 "
                "(relance webhooks new-key prints one)"
            ) from None

    def seal(self, secret: str) -> str:
        """``secret`` encrypted under the first key."""
        return self._fernet.encrypt(secret.encode()).decode()

    def open(self, stored: str) -> str:
        """The secret a stored value holds (a clear one as it is); Unreadable otherwise."""
        if is_clear(stored):
            return stored
        try:
            return self._fernet.decrypt(stored.encode()).decode()
        except InvalidToken:
            raise Unreadable(
                f"secret cannot be decrypted: {KEY_VARIABLE} changed? (put the key it was "
                "sealed with back, after the new one, and run relance webhooks reencrypt)"
            ) from None

    def reseal(self, stored: str) -> str:
        """The stored value sealed again under the first key (a clear one sealed)."""
        return self.seal(self.open(stored))


def open_stored(box: SecretBox | None, stored: str) -> str:
    """``box.open(stored)``, also without a key: a clear secret is readable then, a
    sealed one is not."""
    if box is None:
        if is_clear(stored):
            return stored
        raise Unreadable(f"secret cannot be decrypted: {KEY_VARIABLE} is unset")
    return box.open(stored)
