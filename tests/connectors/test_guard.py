"""The SSRF guard: address classification (pure, table-driven) and per-site trust through the
real client."""

from __future__ import annotations

import ipaddress

import pytest
from aiohttp import web

from connectors.errors import Blocked, OptionsError
from connectors.http import HttpClient
from connectors.http.guard import Trust, carried_ipv4, is_public, parse_trusted_host
from connectors.options import SiteOptions
from tests.connectors.conftest import Serve, recording_app

NOT_PUBLIC = [
    # plain IPv4
    "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.0.1", "169.254.169.254", "0.0.0.0",
    "100.64.0.1", "192.0.0.8", "198.18.0.1", "224.0.0.1", "240.0.0.1", "255.255.255.255",
    # plain IPv6
    "::1", "::", "fe80::1", "fe80::1%eth0", "fc00::1", "fd12:3456::1", "ff02::1", "2001:db8::1",
    # IPv4-mapped and IPv4-translated (SIIT)
    "::ffff:127.0.0.1", "::ffff:169.254.169.254", "::ffff:0:10.0.0.1",
    # NAT64, well-known prefix, carrying private addresses; the local-use prefix always
    "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "64:ff9b::10.0.0.1", "64:ff9b:1::808:808",
    # 6to4 of private addresses
    "2002:7f00:1::1", "2002:a9fe:a9fe::1", "2002:c0a8:101::",
    # Teredo (2001::/32 is not global, whatever the client inside)
    "2001:0:4136:e378:8000:63bf:80ff:fffe", "2001:0:4136:e378:8000:63bf:3fff:fdd2",
    # IPv4-compatible (deprecated) of private addresses
    "::127.0.0.1", "::10.0.0.1", "::169.254.169.254",
    # ISATAP interface ids carrying private addresses
    "2001:4860:1:2:0:5efe:a00:1", "2001:4860:1:2:200:5efe:7f00:1",
]  # fmt: skip

PUBLIC = [
    "8.8.8.8", "1.1.1.1", "2001:4860:4860::8888",
    "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1", "::8.8.8.8",
]  # fmt: skip


@pytest.mark.parametrize("address", NOT_PUBLIC)
def test_not_public(address: str) -> None:
    assert not is_public(address)


@pytest.mark.parametrize("address", PUBLIC)
def test_public(address: str) -> None:
    assert is_public(address)


@pytest.mark.parametrize(
    ("address", "carried"),
    [
        ("::ffff:10.0.0.1", "10.0.0.1"),
        ("::ffff:0:10.0.0.1", "10.0.0.1"),
        ("64:ff9b::a9fe:a9fe", "169.254.169.254"),
        ("2002:7f00:1::1", "127.0.0.1"),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "192.0.2.45"),
        ("::127.0.0.1", "127.0.0.1"),
        ("2001:4860:1:2:0:5efe:a00:1", "10.0.0.1"),
        ("2001:4860:4860::8888", None),
    ],
)
def test_carried_ipv4(address: str, carried: str | None) -> None:
    inner = carried_ipv4(ipaddress.IPv6Address(address))
    assert (str(inner) if inner else None) == carried


@pytest.mark.parametrize(
    ("entry", "origin"),
    [
        ("Intranet.local", ("intranet.local", None)),
        ("files:8080", ("files", 8080)),
        ("10.0.0.5", ("10.0.0.5", None)),
        ("[fd00::5]:81", ("fd00::5", 81)),
    ],
)
def test_trusted_host_entries(entry: str, origin: tuple[str, int | None]) -> None:
    assert parse_trusted_host(entry) == origin


@pytest.mark.parametrize("entry", ["", "http://x/", "a b", "user@host", "host:99999", "host:x"])
def test_bad_trusted_host_entries(entry: str) -> None:
    with pytest.raises(ValueError, match="expected 'host' or 'host:port'"):
        parse_trusted_host(entry)
    with pytest.raises(OptionsError, match="trusted_hosts"):
        SiteOptions("https://a.gov.vn", trusted_hosts=(entry,))


def test_local_trusts_the_site_origin_only() -> None:
    trust = SiteOptions("http://127.0.0.1:8080/portal", local=True).trust
    assert trust.allows("127.0.0.1", 8080)
    assert not trust.allows("127.0.0.1", 8081)
    assert not trust.allows("169.254.169.254", 80)
    assert SiteOptions("https://intranet", local=True).trust == Trust(
        frozenset({("intranet", 443)})
    )
    assert SiteOptions("http://127.0.0.1:8080").trust.origins == frozenset()
    listed = SiteOptions("https://a.gov.vn", trusted_hosts=("files:81", "cdn")).trust
    assert listed.allows("files", 81) and listed.allows("CDN", 9) and not listed.allows("files", 80)


async def test_local_site_cannot_reach_other_private_addresses(
    serve: Serve, http: HttpClient
) -> None:
    hits: list[str] = []
    app = recording_app(hits, text="inside")
    site_base = await serve(app)
    other_base = await serve(app)  # another service on loopback, another port
    site = SiteOptions(site_base, local=True)
    assert (await http.get(site.url("/page"), trust=site.trust)).body == b"inside"
    # what the site's content names: another loopback port, the cloud metadata address
    for named in (other_base + "/admin", "http://169.254.169.254/latest/meta-data/"):
        with pytest.raises(Blocked, match="non-public address"):
            await http.get(named, trust=site.trust)
    assert hits == [site_base.removeprefix("http://") + "/page"]
    # trust is the site's, not the client's: another site may not use the first one's
    stranger = SiteOptions("https://a.gov.vn")
    with pytest.raises(Blocked):
        await http.get(site.url("/page"), trust=stranger.trust)
    # an operator may list another host, with its port
    widened = SiteOptions(site_base, local=True, trusted_hosts=(other_base[len("http://") :],))
    assert (await http.get(other_base + "/admin", trust=widened.trust)).body == b"inside"


async def test_trusted_origin_redirecting_elsewhere_is_judged_afresh(
    serve: Serve, http: HttpClient
) -> None:
    async def other(request: web.Request) -> web.Response:
        return web.Response(text="secret")

    other_app = web.Application()
    other_app.router.add_get("/", other)
    other_base = await serve(other_app)

    async def bounce(request: web.Request) -> web.Response:
        raise web.HTTPFound(other_base + "/")

    app = web.Application()
    app.router.add_get("/", bounce)
    site = SiteOptions(await serve(app), local=True)
    with pytest.raises(Blocked, match=r"host 127\.0\.0\.1 resolves to non-public address"):
        await http.get(site.url("/"), trust=site.trust)
