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
from connectors.errors import HttpStatus
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
from connectors.sitemap import SitemapUrl, parse_sitemap
from connectors.urls import dnn_key

KIND = "dnn"
MAX_SITEMAP_PARTS = 1000  # DNN splits at 50,000 URLs: this is 50 million pages

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
        self.documents = DocumentCache(http, validators, options.local)
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
                allow_private=self.options.local,
                headers=auth,
            )
        )

    async def api_get(self, path: str, module: ModuleRef | None = None) -> Response:
        """An authenticated GET of a Services Framework API: ``path`` is what follows /API/
        (query included); ``module`` goes in the ModuleId and TabId headers."""
        extra = {"ModuleId": str(module.module_id), "TabId": str(module.tab_id)} if module else {}
        url = self.options.url("/API/" + path.lstrip("/"))
        return await self._authed(
            lambda auth: self.http.get(
                url, allow_private=self.options.local, headers={**extra, **auth}
            )
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
        """Every URL of the sitemap (all parts of an index) and whether all was read cleanly."""
        response = await self._document(url)
        root = parse_sitemap(response.body)
        if not root.is_index:
            return list(root.urls), not root.malformed
        urls: list[SitemapUrl] = []
        clean = not root.malformed and len(root.children) <= MAX_SITEMAP_PARTS
        for child_url in root.children[:MAX_SITEMAP_PARTS]:
            child = await self._document(self.options.url(child_url))
            part = parse_sitemap(child.body)
            # An index of indexes is not something DNN writes: read no deeper, and say so.
            clean = clean and not part.malformed and not part.is_index
            urls.extend(part.urls)
        return urls, clean


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
