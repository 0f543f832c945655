"""The stored form of a remote item (pure): what a revision's canonical document holds."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from connectors.model import MediaRef, RemoteItem


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def build_document(
    item: RemoteItem, media: Mapping[str, str | None], broken: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """`media` maps each media URL to its blob's sha; None means the file could not be
    fetched this time, which the document records rather than hides: `broken` says why
    (a broken reference: "not found", "an HTML page, not an image" ...). (Content types live
    with the blobs, so a 304 for a file never changes the document.)"""

    def entry(ref: MediaRef) -> dict[str, Any]:
        sha = media.get(ref.url)
        found: dict[str, Any] = {
            "url": ref.url,
            "kind": ref.kind,
            "filename": ref.filename,
            "sha": sha,
        }
        if sha is None and broken and ref.url in broken:
            found["missing"] = broken[ref.url]
        return found

    return {
        "kind": item.kind,
        "url": item.url,
        "title": item.title,
        "body": item.body_html,
        "summary": item.summary,
        "author": item.author,
        "categories": list(item.categories),
        "published": _iso(item.published),
        "updated": _iso(item.updated),
        "media": [entry(ref) for ref in item.media],
    }
