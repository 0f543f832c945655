"""DNN specifics against the simulator: sitemap index, announcements, JWT login and renewal."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest

from connectors.dnn import DnnConnector, feed_sources
from connectors.dnn_auth import token_expiry
from connectors.errors import HttpStatus, InsecureLogin, LoginFailed
from connectors.http import HttpClient, MemoryValidatorStore
from connectors.model import NotModified, RemoteItem
from connectors.options import ModuleRef, SiteOptions
from connectors.urls import dnn_key
from syncd.simulator import FaultKind, SimulatedSite
from tests.connectors.conftest import FAST, Serve, recording_app


@pytest.fixture
async def http() -> AsyncIterator[HttpClient]:
    async with HttpClient(FAST) as client:
        yield client


async def test_sitemap_index_is_read_whole(http: HttpClient) -> None:
    async with SimulatedSite(
        seed=2, articles=25, images=0, documents=0, sitemap_threshold=10
    ) as site:
        conn = DnnConnector(SiteOptions(site.base_url, local=True), http, MemoryValidatorStore())
        listing = await conn.list_items()
        assert listing.complete and not listing.malformed
        assert {e.key for e in listing.entries} == {
            dnn_key(site.url(a.path)) for a in site.articles()
        }
        assert conn.capabilities().full_listing


async def test_feed_only_listing_is_partial(http: HttpClient) -> None:
    async with SimulatedSite(seed=2, articles=12, images=0, documents=0, rss_items=5) as site:
        c = site.config
        options = SiteOptions(
            site.base_url, local=True, sitemap=None,
            rss_modules=(ModuleRef(c.news_tab_id, c.news_module_id),),
        )  # fmt: skip
        listing = await DnnConnector(options, http, MemoryValidatorStore()).list_items()
        assert not listing.complete
        assert len(listing.entries) == 5
        assert all(e.title and e.lastmod for e in listing.entries)


async def test_announcements_come_from_their_feed(http: HttpClient) -> None:
    async with SimulatedSite(seed=4, articles=3, images=0, documents=0, announcements=4) as site:
        c = site.config
        options = SiteOptions(
            site.base_url, local=True, sitemap=None,
            announcement_modules=(ModuleRef(c.home_tab_id, c.announcements_module_id),),
        )  # fmt: skip
        conn = DnnConnector(options, http, MemoryValidatorStore())
        listing = await conn.list_items()
        assert len(listing.entries) == 3  # the one that expired is not "Current"
        assert len({e.key for e in listing.entries}) == 3  # all link to one page: keyed by guid
        for entry in listing.entries:
            item = await conn.fetch_item(entry)
            assert isinstance(item, RemoteItem)
            assert item.title.startswith("Thông báo: ") and item.body_html.startswith("<p>")
            assert await conn.fetch_item(entry) is NotModified


def test_feed_sources_from_options() -> None:
    options = SiteOptions(
        "https://a.gov.vn/", rss_modules=(ModuleRef(56, 412),), blog_modules=(ModuleRef(60, 430),),
        announcement_modules=(ModuleRef(21, 425),), feeds=("/extra.xml",),
    )  # fmt: skip
    sources = feed_sources(options)
    assert [(s.url, s.role) for s in sources] == [
        ("https://a.gov.vn/RSS.aspx?tabid=56&moduleid=412", "rss"),
        ("https://a.gov.vn/API/Blog/RSS/Get?tabid=60&moduleid=430&body=true", "blog"),
        ("https://a.gov.vn/API/Announcements/Announcements/Current/rss", "announcements"),
        ("https://a.gov.vn/extra.xml", "extra"),
    ]
    assert sources[2].headers == {"ModuleId": "425", "TabId": "21"}


async def test_jwt_login_renewal_and_relogin(http: HttpClient) -> None:
    async with SimulatedSite(seed=3, articles=3, images=0, documents=0) as site:
        options = jwt_options(site.base_url)
        conn = DnnConnector(
            options, http, MemoryValidatorStore(), clock=lambda: site.clock.now().timestamp()
        )
        assert conn.auth is not None and conn.capabilities().login
        await conn.list_items()
        assert (conn.auth.logins, conn.auth.renewals) == (1, 0)
        assert conn.auth.access is not None
        assert token_expiry(conn.auth.access) == conn.auth.expires_at
        site.clock.advance(58 * 60)  # inside the renewal margin
        await conn.list_items()
        assert (conn.auth.logins, conn.auth.renewals) == (1, 1)
        site.clock.advance(15 * 24 * 3600)  # the renewal token has run out too
        await conn.list_items()
        assert (conn.auth.logins, conn.auth.renewals) == (2, 1)


async def test_refused_token_is_renewed_and_the_request_retried(http: HttpClient) -> None:
    async with SimulatedSite(seed=3, articles=3, images=0, documents=0) as site:
        options = jwt_options(site.base_url)
        conn = DnnConnector(options, http, MemoryValidatorStore())  # real clock: unaware
        with pytest.raises(HttpStatus) as first:
            await conn.api_get("SiteExportImport/ExportImport/JobDetails?jobId=1")
        assert first.value.code == 404  # logged in, and there is no such job
        site.clock.advance(2 * 3600)  # the site now refuses the token we still think fresh
        with pytest.raises(HttpStatus) as second:
            await conn.api_get("SiteExportImport/ExportImport/JobDetails?jobId=1")
        assert second.value.code == 404
        assert conn.auth is not None and (conn.auth.logins, conn.auth.renewals) == (1, 1)


async def test_bad_credentials(http: HttpClient) -> None:
    async with SimulatedSite(seed=3, articles=1, images=0, documents=0) as site:
        options = jwt_options(site.base_url, password="wrong")
        conn = DnnConnector(options, http, MemoryValidatorStore())
        with pytest.raises(LoginFailed, match=r"login: HTTP 401 \(bad-credentials\)"):
            await conn.list_items()


async def test_credentials_never_go_over_plain_http_unless_allowed(
    serve: Serve, http: HttpClient
) -> None:
    asked: list[str] = []
    base = await serve(recording_app(asked, status=401))
    options = SiteOptions(base, local=True, username="host", password="host-password")
    conn = DnnConnector(options, http, MemoryValidatorStore())
    problem = re.escape(
        f"site {base}: refusing to send credentials over plain http to "
        f"{base}/API/JwtAuth/mobile/login; use an https base_url or set "
        "allow_insecure_login = true for the site"
    )
    with pytest.raises(InsecureLogin, match=problem):
        await conn.list_items()
    assert asked == []  # refused before anything was sent


def jwt_options(base_url: str, password: str = "host-password") -> SiteOptions:
    """The simulator's host account, over the simulator's plain http (allowed for tests)."""
    return SiteOptions(
        base_url, local=True, username="host", password=password, allow_insecure_login=True
    )


def test_token_expiry_of_garbage() -> None:
    assert token_expiry("not-a-jwt") is None
    assert token_expiry("a.!!!.c") is None


async def test_empty_sitemap_is_not_a_complete_listing(http: HttpClient) -> None:
    async with SimulatedSite(seed=3, articles=4, images=0, documents=0) as site:
        conn = DnnConnector(SiteOptions(site.base_url, local=True), http, MemoryValidatorStore())
        assert (await conn.list_items()).complete
        site.add_fault(FaultKind.CRASHED_EMPTY)
        listing = await conn.list_items()
        assert listing.entries == () and not listing.complete
