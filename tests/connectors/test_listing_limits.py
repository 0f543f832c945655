"""A site's listing limits against a real local server: sitemap parts, URLs (feeds too), bytes."""

from __future__ import annotations

import pytest
from aiohttp import web

from connectors.dnn import DnnConnector
from connectors.errors import ConnectorError, ListingTooLarge
from connectors.feed import FeedConnector
from connectors.http import HttpClient, MemoryValidatorStore
from connectors.options import ListingLimits, SiteOptions
from tests.connectors.conftest import Serve

NS = "http://www.sitemaps.org/schemas/sitemap/0.9"


def urlset(part: int, count: int) -> str:
    urls = "".join(f"<url><loc>/p/{part}/{n}</loc></url>" for n in range(count))
    return f'<urlset xmlns="{NS}">{urls}</urlset>'


def index(parts: int) -> str:
    entries = "".join(f"<sitemap><loc>/Sitemap.aspx?i={i}</loc></sitemap>" for i in range(parts))
    return f'<sitemapindex xmlns="{NS}">{entries}</sitemapindex>'


async def sitemap_site(serve: Serve, parts: int, per_part: int) -> tuple[str, list[str]]:
    """A site whose /Sitemap.aspx is an index of ``parts`` parts; returns its URL and the paths
    the server was asked for."""
    asked: list[str] = []

    async def sitemap(request: web.Request) -> web.Response:
        asked.append(request.path_qs)
        part = request.query.get("i")
        body = index(parts) if part is None else urlset(int(part), per_part)
        return web.Response(text=body, content_type="text/xml")

    app = web.Application()
    app.router.add_get("/Sitemap.aspx", sitemap)
    return await serve(app), asked


async def listing(base: str, http: HttpClient, limits: ListingLimits) -> int:
    options = SiteOptions(base, local=True, limits=limits)
    return len((await DnnConnector(options, http, MemoryValidatorStore()).list_items()).entries)


async def test_within_limits_everything_is_listed(serve: Serve, http: HttpClient) -> None:
    base, _ = await sitemap_site(serve, parts=3, per_part=50)
    assert await listing(base, http, ListingLimits(max_sitemap_parts=3, max_urls=150)) == 150


# the index and two parts fit the byte budget exactly; the third part passes it
BUDGET = len(index(5)) + 2 * len(urlset(0, 50))


@pytest.mark.parametrize(
    ("limits", "problem", "parts_read"),
    [
        (ListingLimits(max_sitemap_parts=4), r"more than 4 sitemap parts", 0),
        (ListingLimits(max_urls=120), r"more than 120 URLs, past the site's max_listed_urls", 3),
        (
            ListingLimits(max_sitemap_bytes=BUDGET),
            r"MiB in all, past the site's max_sitemap_mib",
            3,
        ),
    ],
    ids=["parts", "urls", "bytes"],
)
async def test_passing_a_limit_is_a_listing_error(
    serve: Serve, http: HttpClient, limits: ListingLimits, problem: str, parts_read: int
) -> None:
    base, asked = await sitemap_site(serve, parts=5, per_part=50)
    with pytest.raises(ListingTooLarge, match=problem) as caught:
        await listing(base, http, limits)
    assert isinstance(caught.value, ConnectorError)  # the pipeline records it as the listing's
    # reading stops at the limit: no part past it is fetched
    assert len(asked) == 1 + parts_read


async def test_a_feed_listing_past_max_urls_is_a_listing_error(
    serve: Serve, http: HttpClient
) -> None:
    items = "".join(
        f"<item><title>{n}</title><link>/tin/{n}</link><guid>/tin/{n}</guid></item>"
        for n in range(30)
    )

    async def feed(request: web.Request) -> web.Response:
        return web.Response(text=f"<rss><channel>{items}</channel></rss>", content_type="text/xml")

    app = web.Application()
    app.router.add_get("/rss.xml", feed)
    base = await serve(app)

    def connector(max_urls: int) -> FeedConnector:
        options = SiteOptions(
            base, local=True, feeds=("/rss.xml",), limits=ListingLimits(max_urls=max_urls)
        )
        return FeedConnector(options, http, MemoryValidatorStore())

    assert len((await connector(30).list_items()).entries) == 30
    with pytest.raises(ListingTooLarge, match="more than 29 URLs, past the site's max_listed_urls"):
        await connector(29).list_items()
