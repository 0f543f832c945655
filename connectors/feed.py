"""The ``feed`` connector: any site that publishes RSS or Atom feeds.

An entry with full content (content:encoded, Atom content) is the item. An entry with only a
summary is read from its own page (conditionally) and extracted, keeping the summary when the
page cannot be read. An item that has dropped out of every feed is looked up at its own URL:
404/410 means Gone.
"""

from __future__ import annotations

import asyncio

from connectors.errors import OptionsError, ParseError
from connectors.feeditems import item_from_entry
from connectors.feedparse import FeedEntry, parse_feed
from connectors.fetching import DocumentCache, changed, fetch_media, fingerprint
from connectors.http import HttpClient, ValidatorStore
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
from connectors.options import SiteOptions
from connectors.pageitems import fetch_page_item

KIND = "feed"


class FeedConnector:
    def __init__(self, options: SiteOptions, http: HttpClient, validators: ValidatorStore) -> None:
        if not options.feeds:
            raise OptionsError("feeds", "a feed site needs at least one feed URL")
        self.options = options
        self.http = http
        self.validators = validators
        self.documents = DocumentCache(http, validators, options.trust)
        self.entries: dict[str, FeedEntry] = {}

    def capabilities(self) -> Capabilities:
        return Capabilities(full_listing=False, conditional_fetch=True)

    async def list_items(self) -> Listing:
        listed: dict[str, ListedItem] = {}
        entries: dict[str, FeedEntry] = {}
        malformed = False
        for feed_url in self.options.feeds:
            response = await self.documents.get(self.options.url(feed_url))
            parsed = await asyncio.to_thread(parse_feed, response.body, response.charset)
            malformed = malformed or parsed.malformed
            for entry in parsed.entries:
                entries.setdefault(entry.key, entry)
                listed.setdefault(entry.key, listed_from_entry(entry))
        self.options.limits.check_urls(self.options.base_url, len(listed))
        # Only the latest listing counts: an entry that left its feed is looked up afresh.
        self.entries = entries
        return Listing(tuple(listed.values()), complete=False, malformed=malformed)

    async def fetch_item(self, entry: ListedItem) -> RemoteItem | NotModifiedType | GoneType:
        known = self.entries.get(entry.key)
        if known is not None and (known.content or not known.link):
            return await self._from_feed(known)
        try:
            return await fetch_page_item(self.http, self.validators, self.options, entry, known)
        except ParseError:
            if known is None:
                raise
            return await self._from_feed(known)  # a page we cannot read: keep the summary

    async def _from_feed(self, known: FeedEntry) -> RemoteItem | NotModifiedType:
        item = await asyncio.to_thread(item_from_entry, known, self.options.base_url)
        if await changed(self.validators, item.key, item_fingerprint(item)):
            return item
        return NotModified

    async def fetch_media(self, ref: MediaRef) -> Media | NotModifiedType | GoneType:
        return await fetch_media(
            self.http, ref, validators=self.validators, trust=self.options.trust
        )


def listed_from_entry(entry: FeedEntry) -> ListedItem:
    return ListedItem(
        key=entry.key,
        url=entry.link or entry.key,
        lastmod=entry.updated or entry.published,
        title=entry.title or None,
    )


def item_fingerprint(item: RemoteItem) -> str:
    return fingerprint(
        item.title, item.body_html, item.summary, item.author, item.categories,
        item.published, item.updated, item.media,
    )  # fmt: skip


def create(options: SiteOptions, http: HttpClient, validators: ValidatorStore) -> FeedConnector:
    return FeedConnector(options, http, validators)


__all__ = ["KIND", "FeedConnector", "create"]
