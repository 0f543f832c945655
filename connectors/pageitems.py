"""Building a RemoteItem from an item's own web page (conditional fetch, then extract)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping

from connectors.extract import extract_article
from connectors.feeditems import SUMMARY_CHARS, merge_media, summary_text
from connectors.feedparse import FeedEntry
from connectors.fetching import get_or_gone
from connectors.http import HttpClient, Response, ValidatorStore
from connectors.model import Gone, GoneType, ListedItem, NotModified, NotModifiedType, RemoteItem
from connectors.options import SiteOptions
from connectors.text import clean_line

_SPACE = re.compile(r"\s")


async def fetch_page_item(
    http: HttpClient,
    validators: ValidatorStore,
    options: SiteOptions,
    entry: ListedItem,
    feed_entry: FeedEntry | None,
    headers: Mapping[str, str] | None = None,
) -> RemoteItem | NotModifiedType | GoneType:
    """Fetch ``entry.url`` conditionally and extract the article. Feed metadata, when known,
    fills what a page does not say (author, categories, summary, dates)."""
    response = await get_or_gone(
        http, entry.url, validators=validators, trust=options.trust, headers=headers
    )
    if response is Gone:
        return Gone
    if response.not_modified:
        return NotModified
    # parsing and sanitising are CPU work: a worker thread, so the event loop stays free
    return await asyncio.to_thread(page_item, response, entry, feed_entry, options)


def page_item(
    response: Response, entry: ListedItem, feed_entry: FeedEntry | None, options: SiteOptions
) -> RemoteItem:
    """The item a fetched page holds (pure, CPU-bound): the extracted article, with feed
    metadata filling what the page does not say."""
    page = extract_article(
        response.body, response.url, charset=response.charset, selector=options.content_selector
    )
    meta = feed_entry
    is_article = meta is not None or "/articleid/" in entry.url.lower()
    return RemoteItem(
        key=entry.key,
        url=page.canonical or response.url,
        kind="article" if is_article else "page",
        title=page.title or (meta.title if meta else "") or (entry.title or ""),
        body_html=page.body_html,
        summary=(summary_text(meta.summary, "") if meta else "") or lead_text(page.body_text),
        author=page.author or (meta.author if meta else None),
        categories=page.categories or (meta.categories if meta else ()),
        published=(meta.published if meta else None) or page.published,
        updated=(meta.updated if meta else None) or entry.lastmod,
        media=merge_media(page.media, meta.media if meta else ()),
    )


def lead_text(text: str) -> str:
    """summary_text's start of the body, from the body's unfolded text (Extracted.body_text),
    folding the whitespace of no more of it than the summary needs.

    clean_line(text[:cut]) is a prefix of clean_line(text) when text[cut] is whitespace: the
    folding and stripping of what comes before agree, and NFC never composes across a space.
    So once that prefix is longer than the summary, the rest cannot change the summary."""
    space = _SPACE.search(text, 2 * SUMMARY_CHARS)
    if space is not None:
        head = clean_line(text[: space.start()])
        if len(head) > SUMMARY_CHARS:
            return head[:SUMMARY_CHARS].rsplit(" ", 1)[0] + "…"
    folded = clean_line(text)
    if len(folded) <= SUMMARY_CHARS:
        return folded
    return folded[:SUMMARY_CHARS].rsplit(" ", 1)[0] + "…"
