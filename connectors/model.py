"""What connectors return: plain frozen values, free of any library type.

Everything here is immutable so the mirror pipeline can hash, compare and pass these values
between tasks without copying.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

ItemKind = Literal["article", "page", "file"]
MediaKind = Literal["image", "document"]


@dataclass(frozen=True, slots=True)
class ListedItem:
    """One entry of a site's listing: enough to decide whether to fetch it."""

    key: str  # normalised source key (connectors.urls.normalize_key)
    url: str  # absolute URL to fetch
    lastmod: datetime | None = None  # UTC, when the listing says so
    title: str | None = None


@dataclass(frozen=True)
class Listing:
    """What a site lists. ``complete`` is True only when the whole listing was read (the whole
    sitemap, every part of a sitemap index); a feed shows only the newest items, so a listing
    from feeds alone is partial and absence from it proves nothing."""

    entries: tuple[ListedItem, ...]
    complete: bool
    malformed: bool = False  # some source was broken XML and was read leniently


@dataclass(frozen=True)
class MediaRef:
    """An image or document an item refers to."""

    url: str  # absolute
    kind: MediaKind
    filename: str | None = None


@dataclass(frozen=True)
class RemoteItem:
    """One remote article, page or file, normalised: HTML sanitised, URLs absolute, text NFC."""

    key: str
    url: str
    kind: ItemKind
    title: str
    body_html: str
    summary: str = ""
    author: str | None = None
    categories: tuple[str, ...] = ()
    published: datetime | None = None  # UTC
    updated: datetime | None = None  # UTC
    media: tuple[MediaRef, ...] = ()


@dataclass(frozen=True)
class Media:
    """The bytes of an image or document, exactly as served."""

    url: str
    content_type: str
    data: bytes = field(repr=False)
    filename: str | None = None  # from Content-Disposition or the URL, when known


@dataclass(frozen=True)
class Capabilities:
    """What a connector can do beyond reading."""

    full_listing: bool = False  # list_items can be complete (a sitemap), so absence means gone
    conditional_fetch: bool = True  # fetch_item/fetch_media can answer NotModified
    login: bool = False  # credentials are used (JWT)
    publish: bool = False  # can write items to the site
    delete: bool = False  # can delete items it wrote


class _Sentinel(enum.Enum):
    NOT_MODIFIED = "not-modified"
    GONE = "gone"


NotModifiedType = Literal[_Sentinel.NOT_MODIFIED]
GoneType = Literal[_Sentinel.GONE]

#: The remote thing has not changed since the validators the caller stored.
NotModified: NotModifiedType = _Sentinel.NOT_MODIFIED
#: The remote thing no longer exists (404 or 410).
Gone: GoneType = _Sentinel.GONE
