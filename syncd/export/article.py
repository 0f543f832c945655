"""Reading a stored document into what a page shows (pure): dates, title, media entries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from syncd.export.pages import ArticleView, Attachment
from syncd.export.select import ExportItem

UNTITLED = "(Không có tiêu đề)"


@dataclass(frozen=True)
class MediaEntry:
    url: str
    kind: str
    filename: str | None
    sha: str | None  # None: the mirror could not fetch the file


def parse_time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def text(document: dict[str, Any], key: str) -> str:
    value = document.get(key)
    return value.strip() if isinstance(value, str) else ""


def title(item: ExportItem) -> str:
    return text(item.document, "title") or (item.revision.title or "").strip() or UNTITLED


def published(item: ExportItem) -> datetime:
    """The date a reader knows the article by; the revision's time when the site gave none."""
    return parse_time(item.document.get("published")) or item.revision.created_at


def categories(item: ExportItem) -> list[str]:
    found = item.document.get("categories") or []
    names = [c.strip() for c in found if isinstance(c, str) and c.strip()]
    return list(dict.fromkeys(names))


def media_entries(item: ExportItem) -> list[MediaEntry]:
    entries: dict[str, MediaEntry] = {}
    for media in item.document.get("media") or []:
        if not isinstance(media, dict) or not isinstance(media.get("url"), str):
            continue
        sha = media.get("sha")
        filename = media.get("filename")
        entries.setdefault(
            media["url"],
            MediaEntry(
                media["url"],
                str(media.get("kind") or "document"),
                filename if isinstance(filename, str) and filename else None,
                sha if isinstance(sha, str) and sha else None,
            ),
        )
    return list(entries.values())


def summary(item: ExportItem, limit: int = 280) -> str:
    found = " ".join(text(item.document, "summary").split())
    if len(found) <= limit:
        return found
    return found[:limit].rsplit(" ", 1)[0] + " …"


def source_url(item: ExportItem) -> str:
    return text(item.document, "url") or item.revision.url


def article_view(
    item: ExportItem,
    *,
    categories: Sequence[tuple[str, str | None]],
    body_html: str,
    attachments: Sequence[Attachment],
    as_of: datetime,
) -> ArticleView:
    """The page of one article; the callers decide links, body and attachments."""
    return ArticleView(
        title=title(item),
        source_url=source_url(item),
        published=parse_time(item.document.get("published")),
        updated=parse_time(item.document.get("updated")),
        author=text(item.document, "author") or None,
        categories=categories,
        body_html=body_html,
        attachments=attachments,
        revision_at=item.revision.created_at,
        as_of=as_of,
    )
