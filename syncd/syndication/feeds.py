"""Outgoing feeds: for a site that allows no writes, its copies as RSS 2.0 and Atom, which the
site shows with its own feed module (DNN's RSS reader, a WordPress feed widget, ...).

Each entry holds the full article with its attribution, and the origin marker in the
attribution link, so when the target republishes the entry and syncd mirrors it back, the
copy is known for what it is and never routed home again. The guid is the origin id, stable
across edits; the feed's validators (ETag, Last-Modified) let a polling site get 304s.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import select

from connectors.origin_marker import OriginMarker, with_marker
from syncd.store import schema as t
from syncd.store.canonical import load_document
from syncd.store.store import Store

FEED_ENTRIES = 50
FeedFormat = Literal["rss", "atom"]


@dataclass(frozen=True)
class FeedEntry:
    guid: str
    title: str
    link: str
    body_html: str
    summary: str
    author: str | None
    categories: tuple[str, ...]
    published: datetime
    updated: datetime


@dataclass(frozen=True)
class RenderedFeed:
    body: bytes
    etag: str
    last_modified: datetime | None
    content_type: str


async def feed_entries(store: Store, site_key: str, names: dict[str, str]) -> list[FeedEntry]:
    """The newest copies offered to `site_key` by feed routes, newest first."""
    c, i, r = t.copies, t.items, t.revisions
    query = (
        select(
            c.c.origin, c.c.path, c.c.payload, c.c.updated_at, i.c.url, r.c.content_sha,
            r.c.created_at,
        )
        .join(i, i.c.id == c.c.source_item_id)
        .join(r, (r.c.item_id == i.c.id) & (r.c.seq == i.c.head_seq))
        .where(c.c.target_site_key == site_key, c.c.state == "active", r.c.tombstone.is_(False))
        .order_by(r.c.created_at.desc(), c.c.id.desc())
    )  # fmt: skip
    async with store.engine.connect() as conn:
        rows = [row for row in await conn.execute(query) if _by_feed(row.payload)]
    entries = []
    for row in rows[:FEED_ENTRIES]:
        document = load_document(await store.blobs.get(row.content_sha))
        entries.append(_entry(row, document, names))
    return entries


def _by_feed(payload: Any) -> bool:
    return isinstance(payload, dict) and payload.get("method") == "feed"


def _when(value: Any, fallback: datetime) -> datetime:
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return fallback
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return fallback


def _entry(row: Any, document: dict[str, Any], names: dict[str, str]) -> FeedEntry:
    path = [str(p) for p in row.path or []]
    payload = row.payload or {}
    origin_site = path[0] if path else ""
    try:
        label = str(payload.get("attribution") or "").format(
            source_name=names.get(origin_site, origin_site)
        )
    except (KeyError, IndexError, ValueError):
        label = str(payload.get("attribution") or "")
    updated = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC)
    body = with_marker(
        str(document.get("body") or ""), OriginMarker(row.origin, tuple(path[:-1])), row.url,
        label,
    )  # fmt: skip
    return FeedEntry(
        guid=f"syncd:{row.origin}",
        title=str(document.get("title") or ""),
        link=row.url,
        body_html=body,
        summary=str(document.get("summary") or ""),
        author=document.get("author") or None,
        categories=tuple(str(x) for x in payload.get("categories") or ()),
        published=_when(document.get("published"), updated),
        updated=updated,
    )


def render_feed(
    entries: list[FeedEntry], *, fmt: FeedFormat, site_key: str, title: str, self_url: str
) -> RenderedFeed:
    """The feed document (pure); its ETag is the hash of its bytes."""
    from feedgen.feed import FeedGenerator  # lxml-based; loaded only where feeds are served

    fg = FeedGenerator()
    fg.id(f"syncd:feed:{site_key}")
    fg.title(title)
    fg.link(href=self_url, rel="self")
    fg.description(f"Tin chia sẻ cho {title}")
    fg.language("vi")
    last = max((e.updated for e in entries), default=None)
    if last is not None:
        fg.updated(last)
        fg.lastBuildDate(last)
    for e in reversed(entries):  # feedgen puts each added entry first
        fe = fg.add_entry()
        fe.id(e.guid)
        fe.guid(e.guid, permalink=False)
        fe.title(e.title)
        fe.link(href=e.link)
        fe.content(e.body_html, type="CDATA" if fmt == "rss" else "html")
        if e.summary:
            fe.description(e.summary)
        if e.author:
            fe.author(name=e.author)
        for category in e.categories:
            fe.category(term=category)
        fe.published(e.published)
        fe.updated(e.updated)
    if fmt == "rss":
        body = fg.rss_str(pretty=True)
        content_type = "application/rss+xml"
    else:
        body = fg.atom_str(pretty=True)
        content_type = "application/atom+xml"
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    return RenderedFeed(body, etag, last, content_type)
