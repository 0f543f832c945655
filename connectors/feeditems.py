"""Building RemoteItems from feed entries (pure)."""

from __future__ import annotations

from connectors.feedparse import FeedEntry
from connectors.model import ItemKind, MediaRef, RemoteItem
from connectors.sanitize import collect_media, html_text, sanitize_html

SUMMARY_CHARS = 400


def item_from_entry(entry: FeedEntry, base_url: str, kind: ItemKind = "article") -> RemoteItem:
    """An item whose body is the entry's full content, or its summary when it has none."""
    url = entry.link or base_url
    body = sanitize_html(entry.content or entry.summary, url)
    return RemoteItem(
        key=entry.key,
        url=url,
        kind=kind,
        title=entry.title,
        body_html=body,
        summary=summary_text(entry.summary, body),
        author=entry.author,
        categories=entry.categories,
        published=entry.published,
        updated=entry.updated,
        media=merge_media(entry.media, collect_media(body)),
    )


def summary_text(summary_html: str, body_html: str) -> str:
    """The summary as plain text; the start of the body when there is none."""
    text = html_text(summary_html)
    if text:
        return text
    text = html_text(body_html)
    if len(text) <= SUMMARY_CHARS:
        return text
    return text[:SUMMARY_CHARS].rsplit(" ", 1)[0] + "…"


def merge_media(*groups: tuple[MediaRef, ...]) -> tuple[MediaRef, ...]:
    found: dict[str, MediaRef] = {}
    for group in groups:
        for ref in group:
            found.setdefault(ref.url, ref)
    return tuple(found.values())
