"""Where a webhook may go, and sending it there.

Only ``http`` and ``https`` URLs, and only to public addresses: the host is
resolved when sending, every address it resolves to is checked, and the
request goes to the checked address (a second lookup could answer
differently). ``WEBHOOK_ALLOW_LOOPBACK`` lets loopback through, for tests and
development; private, link-local, shared, multicast and reserved addresses
are always refused. No redirect is followed.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# IPv6 prefixes that carry an IPv4 address: the IPv4 one is what is reached.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_SIXTOFOUR = ipaddress.ip_network("2002::/16")

RESPONSE_READ_LIMIT = 4_096


class UnsafeDestination(Exception):
    """The URL is not an http(s) URL of a public host."""


@dataclass(frozen=True)
class Sent:
    """What came back from one attempt (``status`` None: no HTTP answer)."""

    status: int | None
    excerpt: str
    error: str
    duration_ms: int


def _embedded_ipv4(address: IPAddress) -> IPAddress:
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address in _NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if address.sixtofour is not None and address in _SIXTOFOUR:
            return address.sixtofour
    return address


def refusal(address: IPAddress, *, allow_loopback: bool) -> str:
    """Why a webhook may not go to this address ("" when it may)."""
    address = _embedded_ipv4(address)
    if address.is_loopback:
        return "" if allow_loopback else "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast or address.is_unspecified or address.is_reserved:
        return "a reserved address"
    if address.is_private or not address.is_global:
        return "a private address"
    return ""


def allow_loopback() -> bool:
    return bool(getattr(settings, "WEBHOOK_ALLOW_LOOPBACK", False))


def check_url(url: str) -> tuple[str, str, int]:
    """Scheme, host and port of an http(s) URL; refuses any other shape."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UnsafeDestination("only http and https URLs")
    if parts.username is not None or parts.password is not None:
        raise UnsafeDestination("no user name or password in the URL")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise UnsafeDestination("an invalid port") from None
    if not parts.hostname:
        raise UnsafeDestination("no host")
    return parts.scheme, parts.hostname, port


def check_literal(url: str) -> None:
    """Refuse at once a URL whose host is a refused address (no lookup)."""
    _scheme, host, _port = check_url(url)
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if host.rstrip(".").lower() == "localhost" or host.endswith(".localhost"):
            address = ipaddress.ip_address("127.0.0.1")
        else:
            return
    why = refusal(address, allow_loopback=allow_loopback())
    if why:
        raise UnsafeDestination(f"the host is {why}")


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address the host resolves to, each checked; the first is used."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise UnsafeDestination("the host does not resolve") from None
    addresses: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        why = refusal(address, allow_loopback=allow_loopback())
        if why:
            raise UnsafeDestination(f"the host resolves to {why}")
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise UnsafeDestination("the host does not resolve")
    return addresses


def _connection(
    scheme: str, host: str, port: int, address: IPAddress, timeout: float
) -> http.client.HTTPConnection:
    """A connection to ``address`` that speaks to ``host`` (Host header, SNI,
    certificate name)."""
    connection: http.client.HTTPConnection
    if scheme == "https":
        connection = http.client.HTTPSConnection(
            host, port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        connection = http.client.HTTPConnection(host, port, timeout=timeout)

    def pinned(_address, timeout=timeout, source_address=None):
        return socket.create_connection((str(address), port), timeout, source_address)

    connection._create_connection = pinned  # type: ignore[attr-defined]
    return connection


def post(url: str, *, body: bytes, headers: dict[str, str]) -> Sent:
    """POST the body to a checked address of the URL's host; never raises."""
    started = time.monotonic()

    def took() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        scheme, host, port = check_url(url)
        address = resolve(host, port)[0]
    except UnsafeDestination as refused:
        return Sent(None, "", f"Refused: {refused}.", took())
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    timeout = float(getattr(settings, "WEBHOOK_TIMEOUT_SECONDS", 10))
    connection = _connection(scheme, host, port, address, timeout)
    try:
        connection.request("POST", target, body=body, headers=headers)
        response = connection.getresponse()
        excerpt = response.read(RESPONSE_READ_LIMIT).decode("utf-8", "replace")
        return Sent(response.status, excerpt[:500], "", took())
    except (OSError, http.client.HTTPException) as failure:
        reason = type(failure).__name__
        if isinstance(failure, TimeoutError | socket.timeout):
            reason = "timed out"
        return Sent(None, "", f"Connection failed: {reason}.", took())
    finally:
        connection.close()
