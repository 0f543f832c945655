"""The SSRF guard: which addresses a site may reach."""

from __future__ import annotations

import asyncio
import ipaddress
import socket

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

from connectors.errors import Blocked


def is_public(address: str) -> bool:
    """True for globally routable unicast addresses; False for private, loopback, link-local,
    multicast, reserved and unspecified ones (IPv4-mapped IPv6 judged as the IPv4 inside)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


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
    """Resolver for the shared session: drops non-public answers for hosts not trusted as local.

    The pre-connect check in the client covers the common case; this closes the gap where DNS
    answers differently between that check and aiohttp's own lookup (rebinding)."""

    def __init__(self) -> None:
        self._inner = ThreadedResolver()
        self.trusted: set[str] = set()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        if host.lower() in self.trusted:
            return results
        allowed = [r for r in results if is_public(r["host"])]
        if not allowed:
            raise OSError(f"{host} resolves only to non-public addresses")
        return allowed

    async def close(self) -> None:
        await self._inner.close()

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"GuardedResolver(trusted={sorted(self.trusted)!r})"
