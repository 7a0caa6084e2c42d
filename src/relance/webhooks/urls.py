"""Which webhook URLs Relance sends to: http or https, to public addresses only.

A host that is, or resolves to, a loopback, private, link-local, reserved or otherwise
non-public address is refused when the endpoint is saved and again before every attempt
(a name may resolve differently later), unless the operator allows private addresses
(``RELANCE_WEBHOOK_ALLOW_PRIVATE``). The check resolves the name itself; the HTTP client
resolves it again to connect, so a resolver that answers differently within that instant
is not caught (DNS rebinding): put Relance behind an egress proxy where that matters.
"""

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from relance.errors import ValidationFailed

MAX_URL_LENGTH = 2048


def check_shape(url: str) -> str:
    """``url`` when it is an absolute http(s) URL with a host; ValidationFailed otherwise."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        raise ValidationFailed("must be an http or https URL", at=("url",)) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationFailed("must be an http or https URL", at=("url",))
    if len(url) > MAX_URL_LENGTH:
        raise ValidationFailed(f"must be at most {MAX_URL_LENGTH} characters", at=("url",))
    return url


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


async def refusal(url: str, *, allow_private: bool, timeout_s: float = 5.0) -> str | None:
    """Why Relance will not send to ``url`` now, or None when it may."""
    if allow_private:
        return None
    host = urlsplit(url).hostname or ""
    try:
        async with asyncio.timeout(timeout_s):
            found = await asyncio.get_running_loop().getaddrinfo(
                host, None, type=socket.SOCK_STREAM
            )
    except (OSError, TimeoutError, UnicodeError):
        return f"the host {host} does not resolve"
    addresses = {info[4][0] for info in found}
    if not addresses or not all(_is_public(str(a)) for a in addresses):
        return f"the host {host} is or resolves to a non-public address"
    return None


async def check_public(url: str, *, allow_private: bool) -> None:
    """ValidationFailed naming ``url`` when it may not receive webhooks."""
    reason = await refusal(check_shape(url), allow_private=allow_private)
    if reason is not None:
        raise ValidationFailed(reason, at=("url",))
