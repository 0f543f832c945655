"""The SSRF guard: which addresses a site may reach.

Every address is judged public or not by the standard library's tables, with one rule added:
an IPv6 address that carries an IPv4 address (mapped, translated, NAT64, 6to4, Teredo, ISATAP,
IPv4-compatible) is judged by that IPv4 address too, since that is where the packets end up.
Trust is a value each request carries (a site's own origin and the hosts its operator lists),
never state the shared client keeps.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

from connectors.errors import Blocked

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Forms whose IPv6 wrapper only translates: the IPv4 address alone decides. A DNS64 network
# writes every IPv4-only site as 64:ff9b::a.b.c.d, so these must stay usable for public hosts.
_TRANSLATED = (
    ipaddress.IPv6Network("::ffff:0:0/96"),  # IPv4-mapped
    ipaddress.IPv6Network("::ffff:0:0:0/96"),  # IPv4-translated (SIIT)
    ipaddress.IPv6Network("64:ff9b::/96"),  # NAT64 well-known prefix
    ipaddress.IPv6Network("::/96"),  # IPv4-compatible (deprecated); :: and ::1 land in 0/8
)
# RFC 8215 local-use NAT64 prefix: translates into some private network, whatever it carries.
_LOCAL_NAT64 = ipaddress.IPv6Network("64:ff9b:1::/48")
# IETF protocol assignments, missing from the tables of Pythons before 3.11.10.
_EXTRA_PRIVATE_V4 = (ipaddress.IPv4Network("192.0.0.0/24"),)
_ISATAP_IDS = (0x00005EFE, 0x02005EFE)  # interface id 0000:5efe / 0200:5efe + IPv4


def carried_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address embeds, if it is one of the known embedding forms."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]  # the client, already de-obfuscated
    if any(ip in net for net in _TRANSLATED):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if (int(ip) >> 32) & 0xFFFFFFFF in _ISATAP_IDS:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def _plain_public(ip: IPAddress) -> bool:
    if not ip.is_global or ip.is_multicast:
        return False
    if isinstance(ip, ipaddress.IPv4Address):
        return not any(ip in net for net in _EXTRA_PRIVATE_V4)
    return not ip.is_reserved


def is_public(address: str | IPAddress) -> bool:
    """True for globally routable unicast addresses; False for private, loopback, link-local,
    multicast, reserved and unspecified ones, and for IPv6 forms carrying such an IPv4."""
    ip = address if not isinstance(address, str) else ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv4Address):
        return _plain_public(ip)
    if ip in _LOCAL_NAT64:
        return False
    inner = carried_ipv4(ip)
    if inner is None:
        return _plain_public(ip)
    if any(ip in net for net in _TRANSLATED):
        return _plain_public(inner)
    # Tunnels (6to4, Teredo, ISATAP): both the IPv6 route and the IPv4 end must be public.
    return _plain_public(ip) and _plain_public(inner)


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


@dataclass(frozen=True)
class Trust:
    """Hosts one site may reach on non-public addresses. ``origins`` holds (host, port) pairs;
    a port of None trusts every port of that host. Empty: every address is checked."""

    origins: frozenset[tuple[str, int | None]] = frozenset()

    @classmethod
    def for_site(cls, base_url: str, local: bool, hosts: tuple[str, ...] = ()) -> Trust:
        """``local`` trusts the site's own origin (host and port of ``base_url``); ``hosts``
        are the operator's extra entries, 'host' (any port) or 'host:port'."""
        origins: set[tuple[str, int | None]] = {parse_trusted_host(h) for h in hosts}
        if local:
            origins.add(origin_of(base_url))
        return cls(frozenset(origins))

    def allows(self, host: str, port: int) -> bool:
        host = host.lower()
        return (host, port) in self.origins or (host, None) in self.origins


NO_TRUST = Trust()


def origin_of(url: str) -> tuple[str, int]:
    """The (host, port) an http(s) URL names, host lower-cased, default ports filled in."""
    parts = urlsplit(url)
    return (parts.hostname or "").lower(), parts.port or _default_port(parts.scheme)


def parse_trusted_host(entry: str) -> tuple[str, int | None]:
    """'host', 'host:port', '[v6]' or '[v6]:port' -> (host, port or None). Raises ValueError."""
    text = entry.strip().lower()
    if "/" in text or "@" in text or any(c.isspace() for c in text):
        text = ""
    parts = urlsplit(f"//{text}")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:  # a port that is not a number in 0-65535
        host = None
    if not host:
        raise ValueError(f"expected 'host' or 'host:port', got {entry!r}")
    return host, port


async def check_host(url: str, host: str, port: int) -> None:
    """Resolve ``host`` and raise Blocked if any address is not public. An IP literal is judged
    as it is: aiohttp never asks the resolver about literals, so this is their only check."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        return  # let the connection attempt report the DNS failure in its own words
    for info in infos:
        address = str(info[4][0])
        if not is_public(address):
            raise Blocked(url, f"host {host} resolves to non-public address {address}")


class GuardedResolver(AbstractResolver):
    """Resolver of the session for untrusted requests: drops every non-public answer.

    The pre-connect check in the client covers the common case; this closes the gap where DNS
    answers differently between that check and aiohttp's own lookup (rebinding). Requests to a
    site's trusted origins go through a separate session, so nothing here is ever relaxed."""

    def __init__(self) -> None:
        self._inner = ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        allowed = [r for r in results if is_public(r["host"])]
        if not allowed:
            raise OSError(f"{host} resolves only to non-public addresses")
        return allowed

    async def close(self) -> None:
        await self._inner.close()
