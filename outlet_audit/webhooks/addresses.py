"""Which URLs a webhook may be sent to: http(s) on a public address, unless the setting allows more.

Without this an administrator (or whoever took over their account) could make the server POST to
its own network: the database, Redis, a cloud metadata service at 169.254.169.254. The host is
checked when the endpoint is saved and resolved and checked again at every delivery, because a
name can point elsewhere by then. `WEBHOOK_ALLOW_PRIVATE_HOSTS=True` (tests, a closed network)
lifts the address check; the scheme check stays.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from outlet_audit.text import N_, Message, Refused

SCHEMES = ("http", "https")
MAX_URL_LENGTH = 500


class AddressRefused(Refused):
    pass


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone index is not part of it
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    # is_global is false for private, loopback, link-local, shared (100.64/10), reserved and
    # unspecified addresses; multicast is global for some ranges but never a web server.
    return ip.is_global and not ip.is_multicast


def url_shape_refusal(url: str) -> Message | None:
    """Why the URL cannot be an endpoint whatever it resolves to, or None. Pure."""
    if len(url) > MAX_URL_LENGTH:
        return Message(N_("The address is longer than %(limit)s characters."), {"limit": MAX_URL_LENGTH})
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port out of range
    except ValueError:
        return Message(N_("This is not a web address."))
    if parts.scheme not in SCHEMES or not parts.hostname:
        return Message(N_("The address must start with http:// or https:// and name a host."))
    if parts.username or parts.password:
        return Message(N_("The address must not hold a user name or password."))
    return None


def resolve(host: str, port: int) -> list[str]:
    try:
        found = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return []
    return sorted({info[4][0] for info in found})


def check_url(url: str, *, allow_private: bool) -> None:
    """Refuse a URL of another scheme, or one whose host resolves to any non-public address."""
    message = url_shape_refusal(url)
    if message is not None:
        raise AddressRefused(message)
    if allow_private:
        return
    parts = urlsplit(url)
    addresses = resolve(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
    if not addresses:
        raise AddressRefused(Message(N_("The host %(host)s cannot be found."), {"host": parts.hostname}))
    if not all(_public(address) for address in addresses):
        raise AddressRefused(
            Message(
                N_("The host %(host)s is on a private, loopback or link-local network: refused."),
                {"host": parts.hostname},
            )
        )
