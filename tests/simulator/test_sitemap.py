"""Sitemap.aspx: a urlset of every article, and an index of ?i=N parts over the threshold."""

from __future__ import annotations

from datetime import timedelta

import aiohttp

from syncd.simulator import SimClock, SimulatedSite

from .helpers import xml

NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


async def test_urlset_lists_every_article(
    site: SimulatedSite, http: aiohttp.ClientSession
) -> None:
    async with http.get(site.sitemap_url) as resp:
        assert resp.status == 200
        root = xml(await resp.read())
    assert root.tag == f"{NS}urlset"
    urls = root.findall(f"{NS}url")
    assert [u.findtext(f"{NS}loc") for u in urls] == [site.url(a.path) for a in site.articles()]
    first = urls[0]
    assert [c.tag.removeprefix(NS) for c in first] == ["loc", "lastmod", "changefreq", "priority"]
    assert first.findtext(f"{NS}lastmod") == f"{site.articles()[0].modified:%Y-%m-%d}"
    assert first.findtext(f"{NS}changefreq") == "daily"
    assert first.findtext(f"{NS}priority") == "0.5"


async def test_index_above_threshold(http: aiohttp.ClientSession) -> None:
    async with SimulatedSite(seed=4, articles=250, sitemap_threshold=100) as site:
        async with http.get(site.sitemap_url) as resp:
            root = xml(await resp.read())
        assert root.tag == f"{NS}sitemapindex"
        parts = [s.findtext(f"{NS}loc") for s in root.findall(f"{NS}sitemap")]
        assert parts == [site.url(f"/Sitemap.aspx?i={i}") for i in (1, 2, 3)]
        seen: list[str] = []
        for part in parts:
            async with http.get(part or "") as resp:
                sub = xml(await resp.read())
            assert sub.tag == f"{NS}urlset"
            seen += [u.text or "" for u in sub.iter(f"{NS}loc")]
        assert seen == [site.url(a.path) for a in site.articles()]
        assert len(seen) == 250


async def test_exactly_threshold_stays_a_urlset(http: aiohttp.ClientSession) -> None:
    async with SimulatedSite(seed=4, articles=100, sitemap_threshold=100) as site:
        resp = await http.get(site.sitemap_url)
        assert xml(await resp.read()).tag == f"{NS}urlset"


async def test_cached_sitemap_lags_behind_edits(http: aiohttp.ClientSession) -> None:
    clock = SimClock()
    async with SimulatedSite(seed=4, articles=5, sitemap_cache=timedelta(days=1),
                             clock=clock) as site:
        async def locs() -> list[str]:
            async with http.get(site.sitemap_url) as resp:
                return [u.text or "" for u in xml(await resp.read()).iter(f"{NS}loc")]

        assert len(await locs()) == 5
        added = site.add_article("Bài viết mới")
        assert site.url(added.path) not in await locs()
        clock.advance(24 * 3600 + 1)
        assert site.url(added.path) in await locs()
