"""The ``dnn`` connector: a DotNetNuke site read through its sitemap, feeds and pages.

Listing: /Sitemap.aspx (a urlset, or a sitemapindex and every part) is the complete list of
pages and articles; core RSS, Blog and Announcements feeds (when configured) add titles,
dates, authors and full bodies. Items: a Blog post whose feed carries the body, and every
announcement, come whole from the feed; everything else is its own page, fetched
conditionally and extracted. With credentials every request carries a JWT bearer token.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Literal, TypeVar

from connectors.dnn_auth import JwtSession
from connectors.errors import HttpStatus, ListingTooLarge
from connectors.feed import item_fingerprint
from connectors.feeditems import item_from_entry
from connectors.feedparse import FeedEntry, parse_feed
from connectors.fetching import DocumentCache, changed, fetch_media
from connectors.http import HttpClient, Response, ValidatorStore
from connectors.model import (
    Capabilities,
    GoneType,
    ListedItem,
    Listing,
    Media,
    MediaRef,
    NotModified,
    NotModifiedType,
    RemoteItem,
)
from connectors.options import ModuleRef, SiteOptions
from connectors.pageitems import fetch_page_item
from connectors.sitemap import Sitemap, SitemapUrl, parse_sitemap
from connectors.urls import dnn_key

KIND = "dnn"

Role = Literal["rss", "blog", "announcements", "extra"]
T = TypeVar("T")


@dataclass(frozen=True)
class FeedSource:
    url: str
    role: Role
    headers: Mapping[str, str] = dataclasses.field(default_factory=dict)


def feed_sources(options: SiteOptions) -> list[FeedSource]:
    """The feeds a DNN site's options name, as absolute URLs with the headers they need."""
    sources = [
        FeedSource(options.url(f"/RSS.aspx?tabid={m.tab_id}&moduleid={m.module_id}"), "rss")
        for m in options.rss_modules
    ]
    sources += [
        FeedSource(
            options.url(f"/API/Blog/RSS/Get?tabid={m.tab_id}&moduleid={m.module_id}&body=true"),
            "blog",
        )
        for m in options.blog_modules
    ]
    sources += [
        FeedSource(
            options.url("/API/Announcements/Announcements/Current/rss"),
            "announcements",
            {"ModuleId": str(m.module_id), "TabId": str(m.tab_id)},
        )
        for m in options.announcement_modules
    ]
    sources += [FeedSource(options.url(url), "extra") for url in options.feeds]
    return sources


class DnnConnector:
    def __init__(
        self,
        options: SiteOptions,
        http: HttpClient,
        validators: ValidatorStore,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.options = options
        self.http = http
        self.validators = validators
        self.auth = JwtSession(http, options, clock) if options.username is not None else None
        self.documents = DocumentCache(http, validators, options.trust)
        # From the latest listing only, so an item that left its feed is looked up afresh.
        self.feed_entries: dict[str, tuple[FeedEntry, Role]] = {}

    def capabilities(self) -> Capabilities:
        return Capabilities(
            full_listing=self.options.sitemap is not None,
            conditional_fetch=True,
            login=self.auth is not None,
        )

    async def list_items(self) -> Listing:
        listed: dict[str, ListedItem] = {}
        complete = malformed = False
        if self.options.sitemap is not None:
            urls, clean = await self._read_sitemap(self.options.url(self.options.sitemap))
            malformed = not clean
            # Every DNN sitemap lists at least the home page: an empty one is a broken site,
            # and calling it complete would read as "everything was deleted".
            complete = clean and bool(urls)
            for url in urls:
                key = dnn_key(url.loc)
                listed.setdefault(key, ListedItem(key, url.loc, url.lastmod))
        entries: dict[str, tuple[FeedEntry, Role]] = {}
        for source in feed_sources(self.options):
            response = await self._document(source.url, source.headers)
            parsed = await asyncio.to_thread(parse_feed, response.body, response.charset)
            malformed = malformed or parsed.malformed
            for raw in parsed.entries:
                entry = _rekey(raw, source.role)
                if entry.key not in entries or (
                    entry.content and not entries[entry.key][0].content
                ):
                    entries[entry.key] = (entry, source.role)
                listed[entry.key] = _merge(listed.get(entry.key), entry)
        self.options.limits.check_urls(self.options.base_url, len(listed))
        self.feed_entries = entries
        return Listing(tuple(listed.values()), complete=complete, malformed=malformed)

    async def fetch_item(self, entry: ListedItem) -> RemoteItem | NotModifiedType | GoneType:
        known = self.feed_entries.get(entry.key)
        feed_entry, role = known if known is not None else (None, None)
        if feed_entry is not None and (role == "announcements" or feed_entry.content):
            item = await asyncio.to_thread(item_from_entry, feed_entry, self.options.base_url)
            if await changed(self.validators, item.key, item_fingerprint(item)):
                return item
            return NotModified
        return await self._authed(
            lambda auth: fetch_page_item(
                self.http, self.validators, self.options, entry, feed_entry, auth
            )
        )

    async def fetch_media(self, ref: MediaRef) -> Media | NotModifiedType | GoneType:
        return await self._authed(
            lambda auth: fetch_media(
                self.http,
                ref,
                validators=self.validators,
                trust=self.options.trust,
                headers=auth,
            )
        )

    async def api_get(self, path: str, module: ModuleRef | None = None) -> Response:
        """An authenticated GET of a Services Framework API: ``path`` is what follows /API/
        (query included); ``module`` goes in the ModuleId and TabId headers."""
        extra = {"ModuleId": str(module.module_id), "TabId": str(module.tab_id)} if module else {}
        url = self.options.url("/API/" + path.lstrip("/"))
        return await self._authed(
            lambda auth: self.http.get(url, trust=self.options.trust, headers={**extra, **auth})
        )

    async def _authed(self, call: Callable[[Mapping[str, str]], Awaitable[T]]) -> T:
        """Run a request with bearer headers; on a 401 renew (or log in) once and retry."""
        if self.auth is None:
            return await call({})
        try:
            return await call(await self.auth.headers())
        except HttpStatus as error:
            if error.code != 401:
                raise
        await self.auth.refresh()
        return await call(await self.auth.headers())

    async def _document(self, url: str, headers: Mapping[str, str] | None = None) -> Response:
        extra = dict(headers or {})
        return await self._authed(lambda auth: self.documents.get(url, {**extra, **auth}))

    async def _read_sitemap(self, url: str) -> tuple[list[SitemapUrl], bool]:
        """Every URL of the sitemap (all parts of an index) and whether all was read cleanly.
        Raises ListingTooLarge past the site's limits: parts, URLs and bytes in all."""
        limits = self.options.limits
        budget = _Budget(url, limits.max_sitemap_bytes)
        # an index lists parts, a urlset URLs: read no more entries than either may have
        root = await self._sitemap_document(
            url, budget, max(limits.max_urls, limits.max_sitemap_parts)
        )
        # (a truncated parse stopped one entry short of passing the limit: count that one)
        if not root.is_index:
            limits.check_urls(url, len(root.urls) + root.truncated)
            return list(root.urls), not root.malformed
        if root.truncated or len(root.children) > limits.max_sitemap_parts:
            problem = f"more than {limits.max_sitemap_parts} sitemap parts"
            raise ListingTooLarge(url, problem, "max_sitemap_parts")
        urls: list[SitemapUrl] = []
        clean = not root.malformed
        for child_url in root.children:
            part = await self._sitemap_document(
                self.options.url(child_url), budget, limits.max_urls - len(urls)
            )
            limits.check_urls(url, len(urls) + len(part.urls) + part.truncated)
            # An index of indexes is not something DNN writes: read no deeper, and say so.
            clean = clean and not part.malformed and not part.is_index
            urls.extend(part.urls)
        return urls, clean

    async def _sitemap_document(self, url: str, budget: _Budget, max_entries: int) -> Sitemap:
        response = await self._document(url)
        budget.spend(len(response.body))
        parsed = parse_sitemap(response.body, max_entries)
        self.documents.forget(url)  # read once a pass: no part's bytes outlive its parsing
        return parsed


class _Budget:
    """Bytes a sitemap index and its parts may add up to."""

    def __init__(self, url: str, limit: int) -> None:
        self.url, self.limit, self.spent = url, limit, 0

    def spend(self, size: int) -> None:
        self.spent += size
        if self.spent > self.limit:
            problem = f"more than {self.limit / 2**20:g} MiB in all"
            raise ListingTooLarge(self.url, problem, "max_sitemap_mib")


def _rekey(entry: FeedEntry, role: Role) -> FeedEntry:
    """Key page-backed entries by their link so they meet their sitemap URL; announcements all
    link to the same news page, so they keep their guid."""
    if role == "announcements" or not entry.link:
        return entry
    return dataclasses.replace(entry, key=dnn_key(entry.link))


def _merge(listed: ListedItem | None, entry: FeedEntry) -> ListedItem:
    stamps = [s for s in (listed.lastmod if listed else None, entry.updated, entry.published) if s]
    return ListedItem(
        key=entry.key,
        url=listed.url if listed else (entry.link or entry.key),
        lastmod=max(stamps) if stamps else None,
        title=entry.title or (listed.title if listed else None),
    )


def create(options: SiteOptions, http: HttpClient, validators: ValidatorStore) -> DnnConnector:
    return DnnConnector(options, http, validators)
