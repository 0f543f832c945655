"""One contract, every connector kind, against the DNN simulator.

The contract: a listing names every item; fetching an entry yields a RemoteItem whose title
and (sanitised) body equal the simulator's ground truth; media come back byte for byte; a
conditional re-fetch is NotModified; an edit is seen; a deleted article is Gone; the faults
real sites have (wrong charsets, NFD, transient errors) change nothing a mirror keeps.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from connectors.base import Connector, create, kinds
from connectors.errors import FetchError, Timeout, TooLarge, TooManyRedirects
from connectors.http import HttpClient, MemoryValidatorStore
from connectors.model import Gone, ListedItem, Media, NotModified, RemoteItem
from connectors.options import ModuleRef, SiteOptions
from connectors.sanitize import sanitize_html
from connectors.urls import dnn_key, normalize_key
from syncd.simulator import FaultKind, SimulatedSite
from tests.connectors.conftest import FAST


@dataclass(frozen=True)
class Truth:
    title: str
    body_html: str  # as the site serves it, sanitised the way connectors must
    media: frozenset[tuple[str, str]]  # (sha256, content type) of linked files


def options_for(kind: str, site: SimulatedSite) -> SiteOptions:
    c = site.config
    if kind == "dnn":
        return SiteOptions(
            base_url=site.base_url,
            local=True,
            rss_modules=(ModuleRef(c.news_tab_id, c.news_module_id),),
            blog_modules=(ModuleRef(c.blog_tab_id, c.blog_module_id),),
            announcement_modules=(ModuleRef(c.home_tab_id, c.announcements_module_id),),
        )
    if kind == "feed":
        return SiteOptions(
            base_url=site.base_url,
            local=True,
            feeds=(site.rss_url, site.blog_feed_url + "&body=true"),
        )
    raise AssertionError(f"no contract options for connector kind {kind!r}")


# how each kind names items: DNN pages drop the title slug, feeds keep the link or guid
KEY_OF = {"dnn": dnn_key, "feed": normalize_key}


def ground_truth(site: SimulatedSite, kind: str) -> dict[str, Truth]:
    key = KEY_OF[kind]
    truth: dict[str, Truth] = {}
    for entry in site.truth():
        media = frozenset((hashlib.sha256(m.data).hexdigest(), m.content_type) for m in entry.media)
        body = sanitize_html(entry.article.body_html, entry.url)
        truth[key(entry.url)] = Truth(entry.article.title, body, media)
    for post in site.blog_posts():
        url = site.url(post.path)
        truth[key(url)] = Truth(post.title, sanitize_html(post.body_html, url), frozenset())
    return truth


def test_every_kind_is_under_contract() -> None:
    assert kinds() == ["dnn", "feed"]  # a new kind must be added to options_for and here


@pytest.fixture(params=["dnn", "feed"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def site() -> AsyncIterator[SimulatedSite]:
    # rss_items above the article count, so a feed-only site lists everything too.
    async with SimulatedSite(
        seed=11, articles=18, images=6, documents=4, blog_posts=3, announcements=3, rss_items=30
    ) as running:
        yield running


@pytest.fixture
async def http() -> AsyncIterator[HttpClient]:
    async with HttpClient(FAST) as client:
        yield client


def connector(kind: str, site: SimulatedSite, http: HttpClient) -> Connector:
    return create(kind, options_for(kind, site), http, MemoryValidatorStore())


async def fetch_all(conn: Connector) -> dict[str, RemoteItem]:
    listing = await conn.list_items()
    items: dict[str, RemoteItem] = {}
    for entry in listing.entries:
        item = await conn.fetch_item(entry)
        assert isinstance(item, RemoteItem), (entry, item)
        assert item.key == entry.key
        items[item.key] = item
    return items


def check_against_truth(items: dict[str, RemoteItem], truth: dict[str, Truth]) -> None:
    missing = set(truth) - set(items)
    assert not missing, f"not listed: {sorted(missing)[:3]}"
    for key, expected in truth.items():
        item = items[key]
        assert item.title == expected.title, key
        assert item.body_html == expected.body_html, key
        assert item.kind == "article"


async def test_items_match_ground_truth(kind: str, site: SimulatedSite, http: HttpClient) -> None:
    conn = connector(kind, site, http)
    items = await fetch_all(conn)
    check_against_truth(items, ground_truth(site, kind))
    news = [i for i in items.values() if "/ArticleId/" in i.url]
    assert all(i.published is not None and i.published.tzinfo is not None for i in news)


async def test_media_are_byte_exact(kind: str, site: SimulatedSite, http: HttpClient) -> None:
    conn = connector(kind, site, http)
    items = await fetch_all(conn)
    truth = ground_truth(site, kind)
    checked = 0
    for key, expected in truth.items():
        if not expected.media:
            continue
        fetched = set()
        for ref in items[key].media:
            media = await conn.fetch_media(ref)
            assert isinstance(media, Media), ref
            fetched.add((hashlib.sha256(media.data).hexdigest(), media.content_type))
        assert expected.media <= fetched, key
        checked += 1
    assert checked >= 3


async def test_conditional_refetch_is_not_modified(
    kind: str, site: SimulatedSite, http: HttpClient
) -> None:
    conn = connector(kind, site, http)
    items = await fetch_all(conn)
    listing = await conn.list_items()
    assert listing.entries
    for entry in listing.entries:
        assert await conn.fetch_item(entry) is NotModified, entry.url
    refs = {ref for item in items.values() for ref in item.media}
    assert refs
    for ref in refs:
        assert isinstance(await conn.fetch_media(ref), Media)  # the first fetch of each file
        assert await conn.fetch_media(ref) is NotModified, ref.url


async def test_edit_is_seen(kind: str, site: SimulatedSite, http: HttpClient) -> None:
    conn = connector(kind, site, http)
    await fetch_all(conn)
    edited = site.edit_article(5, title="Tiêu đề đã sửa: họp Hội đồng nhân dân")
    listing = await conn.list_items()
    entry = _entry_for(listing.entries, site.url(edited.path), kind)
    item = await conn.fetch_item(entry)
    assert isinstance(item, RemoteItem)
    assert item.title == "Tiêu đề đã sửa: họp Hội đồng nhân dân"


async def test_deleted_article_is_gone(kind: str, site: SimulatedSite, http: HttpClient) -> None:
    conn = connector(kind, site, http)
    listing = await conn.list_items()
    victim = site.article(7)
    entry = _entry_for(listing.entries, site.url(victim.path), kind)
    assert isinstance(await conn.fetch_item(entry), RemoteItem)
    site.delete_article(7)
    relisted = await conn.list_items()
    assert entry.key not in {e.key for e in relisted.entries}
    assert await conn.fetch_item(entry) is Gone


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": FaultKind.CP1258},
        {"kind": FaultKind.CHARSET_MISLABELLED},
        {"kind": FaultKind.CHARSET_MISSING},
        {"kind": FaultKind.NFD},
        {"kind": FaultKind.ERROR_503, "every_nth": 2, "retry_after": 0},
        {"kind": FaultKind.ERROR_429, "every_nth": 3, "retry_after": 0},
        {"kind": FaultKind.ERROR_500, "every_nth": 2},
        {"kind": FaultKind.TRUNCATED, "every_nth": 2},
    ],
    ids=lambda f: str(f["kind"]),
)
async def test_faults_change_nothing_kept(
    kind: str, site: SimulatedSite, http: HttpClient, fault: dict[str, object]
) -> None:
    site.add_fault(**fault)  # type: ignore[arg-type]
    items = await fetch_all(connector(kind, site, http))
    check_against_truth(items, ground_truth(site, kind))


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ({"kind": FaultKind.REDIRECT_LOOP}, TooManyRedirects),
        ({"kind": FaultKind.HUGE_BODY, "huge_bytes": 3_000_000}, TooLarge),
        ({"kind": FaultKind.STALL_AFTER_HEADERS, "delay": 5}, Timeout),
    ],
    ids=["redirect_loop", "huge_body", "stall"],
)
async def test_hopeless_sites_raise_fetch_errors(
    kind: str, site: SimulatedSite, fault: dict[str, object], error: type[FetchError]
) -> None:
    site.add_fault(**fault)  # type: ignore[arg-type]
    policy = dataclasses.replace(FAST, max_bytes=2_000_000, read_timeout=0.2, attempts=1)
    async with HttpClient(policy) as http:
        with pytest.raises(error):
            await connector(kind, site, http).list_items()


async def test_malformed_listing_is_flagged(
    kind: str, site: SimulatedSite, http: HttpClient
) -> None:
    site.add_fault(FaultKind.MALFORMED_XML)
    listing = await connector(kind, site, http).list_items()
    assert listing.malformed and not listing.complete
    assert listing.entries  # what could be read still counts


def _entry_for(entries: tuple[ListedItem, ...], url: str, kind: str) -> ListedItem:
    key = KEY_OF[kind](url)
    for entry in entries:
        if entry.key == key:
            return entry
    raise AssertionError(f"{url} not listed")
