"""Parsing RSS and Atom bytes into plain entries (pure).

feedparser guesses encodings on its own and does not know windows-1258 tone marks need NFC,
so the bytes are decoded here first (connectors.text) and handed over as UTF-8 with the XML
declaration rewritten to match.
"""

from __future__ import annotations

import calendar
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import feedparser

from connectors.errors import ParseError
from connectors.model import MediaRef
from connectors.sanitize import IMAGE_EXTENSIONS
from connectors.schemes import WEB_SCHEMES, url_scheme
from connectors.text import clean_line, decode, nfc
from connectors.urls import normalize_key

_DECL_ENCODING = re.compile(r"""^(\s*<\?xml[^>]*?encoding\s*=\s*)["'][^"']*["']""")
# Not damage in the document itself: feedparser's notes about how it was labelled.
_LABEL_NOTES = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)


@dataclass(frozen=True)
class FeedEntry:
    key: str  # normalised guid, else link
    link: str | None
    title: str
    summary: str  # HTML as the feed gives it (not sanitised)
    content: str | None  # full HTML (content:encoded or Atom content), when present
    author: str | None
    categories: tuple[str, ...]
    published: datetime | None  # UTC
    updated: datetime | None  # UTC
    media: tuple[MediaRef, ...]  # thumbnails and enclosures


@dataclass(frozen=True)
class ParsedFeed:
    title: str
    link: str | None
    entries: tuple[FeedEntry, ...]
    malformed: bool  # broken XML, read leniently


def parse_feed(data: bytes, charset: str | None = None) -> ParsedFeed:
    """Parse RSS 0.9x/1.0/2.0 or Atom. ``charset`` is the HTTP header's, if any.
    Raises ParseError when the bytes are not a feed at all (e.g. an HTML error page)."""
    text = decode(data, charset).text
    text = _DECL_ENCODING.sub(r'\1"utf-8"', text, count=1)
    parsed = feedparser.parse(
        text.encode("utf-8"),
        response_headers={"content-type": "application/xml; charset=utf-8"},
        sanitize_html=False,
        resolve_relative_uris=False,
    )
    error = parsed.get("bozo_exception")
    malformed = bool(parsed.get("bozo")) and not isinstance(error, _LABEL_NOTES)
    if not parsed.get("version") and not parsed.entries:
        reason = str(error).splitlines()[0] if error else "no channel or feed element"
        raise ParseError(f"not an RSS or Atom feed: {reason}")
    feed = parsed.feed
    return ParsedFeed(
        title=clean_line(feed.get("title")),
        link=feed.get("link") or None,
        entries=tuple(e for e in (_entry(raw) for raw in parsed.entries) if e is not None),
        malformed=malformed,
    )


def _entry(raw: Any) -> FeedEntry | None:
    link = (raw.get("link") or "").strip() or None
    if link is not None and url_scheme(link) not in (None, *WEB_SCHEMES):
        # javascript:, data: ...: never fetched nor shown; the entry goes by its guid
        link = None
    guid = (raw.get("id") or "").strip() or None
    identity = guid or link
    if identity is None:
        return None  # nothing to name it by: a later run could not recognise it
    content = None
    for part in raw.get("content") or ():
        if part.get("value"):
            content = nfc(part["value"])
            break
    categories = tuple(
        dict.fromkeys(clean_line(t.get("term")) for t in raw.get("tags") or () if t.get("term"))
    )
    return FeedEntry(
        key=normalize_key(identity),
        link=link,
        title=clean_line(raw.get("title")),
        summary=nfc(raw.get("summary") or ""),
        content=content,
        author=clean_line(raw.get("author")) or None,
        categories=categories,
        published=_utc(raw.get("published_parsed")),
        # Plain dict lookup: feedparser's own get() falls back to the publication date.
        updated=_utc(dict.get(raw, "updated_parsed")),
        media=_media(raw),
    )


def _utc(value: time.struct_time | None) -> datetime | None:
    # feedparser's *_parsed values are already UTC struct_times.
    if value is None:
        return None
    return datetime.fromtimestamp(calendar.timegm(value), UTC)


def _media(raw: Any) -> tuple[MediaRef, ...]:
    found: dict[str, MediaRef] = {}
    for thumb in raw.get("media_thumbnail") or ():
        url = (thumb.get("url") or "").strip()
        if url:
            found.setdefault(url, MediaRef(url, "image", _name(url)))
    for item in list(raw.get("enclosures") or ()) + list(raw.get("media_content") or ()):
        url = (item.get("href") or item.get("url") or "").strip()
        if not url:
            continue
        kind = item.get("type") or item.get("medium") or ""
        is_image = kind.startswith("image") or (_name(url) or "").lower().endswith(
            tuple(IMAGE_EXTENSIONS)
        )
        found.setdefault(url, MediaRef(url, "image" if is_image else "document", _name(url)))
    return tuple(found.values())


def _name(url: str) -> str | None:
    return url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1] or None
