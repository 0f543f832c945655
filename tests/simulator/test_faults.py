"""Every fault mode, observed over real HTTP."""

from __future__ import annotations

import asyncio
import unicodedata

import aiohttp
import feedparser
import pytest
from lxml import etree

from syncd.simulator import FaultKind, SimulatedSite
from syncd.simulator.encoding import decode_cp1258

from .helpers import xml


async def status_of(http: aiohttp.ClientSession, url: str) -> int:
    async with http.get(url, allow_redirects=False) as resp:
        await resp.read()
        return resp.status


@pytest.mark.parametrize(
    ("kind", "status"),
    [(FaultKind.ERROR_500, 500), (FaultKind.ERROR_503, 503), (FaultKind.ERROR_429, 429)],
)
async def test_error_statuses(
    site: SimulatedSite, http: aiohttp.ClientSession, kind: FaultKind, status: int
) -> None:
    site.add_fault(kind, retry_after=7)
    async with http.get(site.rss_url) as resp:
        assert resp.status == status
        if status != 500:
            assert resp.headers["Retry-After"] == "7"
    site.clear_faults()
    assert await status_of(http, site.rss_url) == 200


async def test_slow_and_silent_servers_hit_client_timeouts(
    site: SimulatedSite, http: aiohttp.ClientSession
) -> None:
    short = aiohttp.ClientTimeout(total=0.3)
    site.add_fault(FaultKind.SLOW, delay=30)
    with pytest.raises(asyncio.TimeoutError):
        async with http.get(site.rss_url, timeout=short) as resp:
            await resp.read()
    site.clear_faults()
    site.add_fault(FaultKind.NO_RESPONSE)
    with pytest.raises(asyncio.TimeoutError):
        async with http.get(site.rss_url, timeout=short) as resp:
            await resp.read()
    assert site.fault_hits(FaultKind.SLOW) == site.fault_hits(FaultKind.NO_RESPONSE) == 1


async def test_stall_after_headers(site: SimulatedSite, http: aiohttp.ClientSession) -> None:
    site.add_fault(FaultKind.STALL_AFTER_HEADERS)
    async with http.get(site.sitemap_url, timeout=aiohttp.ClientTimeout(sock_read=0.3)) as resp:
        assert resp.status == 200
        with pytest.raises(asyncio.TimeoutError):
            await resp.read()


async def test_truncated_body(site: SimulatedSite, http: aiohttp.ClientSession) -> None:
    site.add_fault(FaultKind.TRUNCATED)
    async with http.get(site.rss_url) as resp:
        declared = int(resp.headers["Content-Length"])
        with pytest.raises(aiohttp.ClientPayloadError):
            await resp.read()
    site.clear_faults()
    async with http.get(site.rss_url) as resp:
        assert len(await resp.read()) < declared


async def test_malformed_xml(site: SimulatedSite, http: aiohttp.ClientSession) -> None:
    site.add_fault(FaultKind.MALFORMED_XML, paths=("/RSS.aspx", "/Sitemap.aspx"))
    for url in (site.rss_url, site.sitemap_url):
        async with http.get(url) as resp:
            raw = await resp.read()
        with pytest.raises(etree.XMLSyntaxError):
            xml(raw)
    async with http.get(site.rss_url) as resp:
        assert feedparser.parse(await resp.read()).bozo


async def test_charset_faults(site: SimulatedSite, http: aiohttp.ClientSession) -> None:
    site.add_fault(FaultKind.CHARSET_MISLABELLED)
    async with http.get(site.rss_url) as resp:
        assert resp.headers["Content-Type"] == "text/xml; charset=utf-8"
        raw = await resp.read()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert site.name in decode_cp1258(raw)
    site.clear_faults()

    site.add_fault(FaultKind.CHARSET_MISSING)
    page = site.url(site.article(2).path)
    async with http.get(page) as resp:
        assert resp.headers["Content-Type"] == "text/html"
        raw = await resp.read()
    assert b"charset" not in raw[:400].lower()
    assert site.article(2).title in decode_cp1258(raw)
    site.clear_faults()

    site.add_fault(FaultKind.CP1258)
    async with http.get(site.rss_url) as resp:
        assert resp.headers["Content-Type"] == "text/xml; charset=windows-1258"
        raw = await resp.read()
    assert raw.startswith(b'<?xml version="1.0" encoding="windows-1258"?>')
    title = xml(raw).findtext("channel/title") or ""
    assert unicodedata.normalize("NFC", title) == site.name


async def test_nfd_text(site: SimulatedSite, http: aiohttp.ClientSession) -> None:
    site.add_fault(FaultKind.NFD)
    async with http.get(site.rss_url) as resp:
        text = await resp.text()
    assert site.name not in text
    assert site.name in unicodedata.normalize("NFC", text)


async def test_redirect_loop(site: SimulatedSite, http: aiohttp.ClientSession) -> None:
    site.add_fault(FaultKind.REDIRECT_LOOP, paths=("/Sitemap.aspx",))
    with pytest.raises(aiohttp.TooManyRedirects):
        async with http.get(site.sitemap_url, max_redirects=5) as resp:
            await resp.read()
    assert await status_of(http, site.rss_url) == 200


async def test_huge_body(site: SimulatedSite, http: aiohttp.ClientSession) -> None:
    site.add_fault(FaultKind.HUGE_BODY, huge_bytes=3 * 1024 * 1024)
    async with http.get(site.rss_url) as resp:
        raw = await resp.read()
    assert len(raw) > 3 * 1024 * 1024
    assert xml(raw).findtext("channel/title") == site.name  # still well-formed


async def test_crashed_empty_lists_nothing(
    site: SimulatedSite, http: aiohttp.ClientSession
) -> None:
    site.add_fault(FaultKind.CRASHED_EMPTY)
    async with http.get(site.rss_url) as resp:
        assert resp.status == 200
        assert xml(await resp.read()).findall("channel/item") == []
    async with http.get(site.sitemap_url) as resp:
        assert resp.status == 200
        assert len(xml(await resp.read())) == 0
    async with http.get(site.blog_feed_url) as resp:
        assert xml(await resp.read()).findall("channel/item") == []


async def test_crashed_404_everywhere(site: SimulatedSite, http: aiohttp.ClientSession) -> None:
    site.add_fault(FaultKind.CRASHED_404)
    for url in (site.rss_url, site.sitemap_url, site.url(site.article(1).path),
                site.media_url(site.media()[0].path)):
        assert await status_of(http, url) == 404
    # The admin API stays reachable so a demo can heal the site.
    async with http.delete(site.url("/__sim/faults")) as resp:
        assert resp.status == 200
    assert await status_of(http, site.rss_url) == 200


async def test_every_nth_and_paths(site: SimulatedSite, http: aiohttp.ClientSession) -> None:
    site.add_fault(FaultKind.ERROR_503, every_nth=3, paths=("/rss.aspx",))
    statuses = [await status_of(http, site.rss_url) for _ in range(6)]
    assert statuses == [200, 200, 503, 200, 200, 503]
    assert await status_of(http, site.sitemap_url) == 200


async def test_probability_is_deterministic_from_the_seed(http: aiohttp.ClientSession) -> None:
    patterns = []
    for seed in (21, 21, 22):
        async with SimulatedSite(seed=seed, articles=3) as site:
            site.add_fault(FaultKind.ERROR_500, probability=0.5)
            patterns.append([await status_of(http, site.rss_url) for _ in range(24)])
    assert patterns[0] == patterns[1]
    assert patterns[0] != patterns[2]
    assert {200, 500} == set(patterns[0])
