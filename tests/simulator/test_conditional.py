"""ETag and Last-Modified on feeds, sitemap, pages and files; 304 when the client is current."""

from __future__ import annotations

import aiohttp
import pytest

from syncd.simulator import SimulatedSite


def surfaces(site: SimulatedSite) -> list[str]:
    return [
        site.rss_url,
        site.sitemap_url,
        site.blog_feed_url,
        site.url(site.article(3).path),
        site.media_url(site.media()[0].path),
    ]


@pytest.mark.parametrize("index", range(5))
async def test_etag_and_last_modified_give_304(
    site: SimulatedSite, http: aiohttp.ClientSession, index: int
) -> None:
    url = surfaces(site)[index]
    async with http.get(url) as resp:
        assert resp.status == 200
        etag, modified = resp.headers["ETag"], resp.headers["Last-Modified"]
    async with http.get(url, headers={"If-None-Match": etag}) as resp:
        assert resp.status == 304 and await resp.read() == b""
        assert resp.headers["ETag"] == etag
    async with http.get(url, headers={"If-Modified-Since": modified}) as resp:
        assert resp.status == 304
    async with http.get(url, headers={"If-None-Match": '"other"'}) as resp:
        assert resp.status == 200
    older = "Mon, 01 Jan 2001 00:00:00 GMT"
    async with http.get(url, headers={"If-Modified-Since": older}) as resp:
        assert resp.status == 200


async def test_edit_changes_validators(site: SimulatedSite, http: aiohttp.ClientSession) -> None:
    page = site.url(site.article(3).path)
    before: dict[str, tuple[str, str]] = {}
    for url in (site.rss_url, site.sitemap_url, page):
        async with http.get(url) as resp:
            before[url] = (resp.headers["ETag"], resp.headers["Last-Modified"])
    site.edit_article(3)
    site.edit_article(40)  # the newest, so it is in the RSS too
    for url, (etag, modified) in before.items():
        headers = {"If-None-Match": etag}
        async with http.get(url, headers=headers) as resp:
            assert resp.status == 200, url
        async with http.get(url, headers={"If-Modified-Since": modified}) as resp:
            assert resp.status == 200, url


async def test_touch_changes_every_etag(site: SimulatedSite, http: aiohttp.ClientSession) -> None:
    url = site.url(site.article(5).path)
    async with http.get(url) as resp:
        etag = resp.headers["ETag"]
    site.touch()
    async with http.get(url, headers={"If-None-Match": etag}) as resp:
        assert resp.status == 200
