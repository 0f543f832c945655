"""HTML of an exported site's pages (pure): plain semantic markup, Vietnamese labels.

Every href handed in is already what the page should carry (relative in a static copy,
absolute in a web archive); this module only escapes and arranges.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from html import escape

from connectors.schemes import is_safe_href
from syncd.export.css import STYLE

# Vietnam keeps UTC+7 all year; readers expect local dates on a provincial site.
VIETNAM = timezone(timedelta(hours=7), "ICT")


@dataclass(frozen=True)
class Chrome:
    """What surrounds every page."""

    site_name: str
    css_href: str | None  # None: inline the style (a web archive page has no sheet to link)
    home_href: str | None = None
    archive_href: str | None = None


@dataclass(frozen=True)
class Attachment:
    label: str
    href: str
    kind: str  # "image" or "document"
    missing: bool = False  # not in the store: the link still goes to the original


@dataclass(frozen=True)
class ArticleView:
    title: str
    source_url: str
    published: datetime | None
    updated: datetime | None
    author: str | None
    categories: Sequence[tuple[str, str | None]]  # name, link to its index page
    body_html: str
    attachments: Sequence[Attachment]
    revision_at: datetime
    as_of: datetime


@dataclass(frozen=True)
class ListEntry:
    title: str
    href: str
    date: datetime
    summary: str


@dataclass(frozen=True)
class Pager:
    page: int
    pages: int
    newer_href: str | None
    older_href: str | None


def local_time(moment: datetime) -> datetime:
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(VIETNAM)


def show_date(moment: datetime, with_time: bool = True) -> str:
    local = local_time(moment)
    return local.strftime("%d/%m/%Y %H:%M") if with_time else local.strftime("%d/%m/%Y")


def show_utc(moment: datetime) -> str:
    """The cut-off is chosen in UTC; shown in local time "1 Feb" would read as 2 Feb."""
    return moment.astimezone(UTC).strftime("%d/%m/%Y %H:%M UTC")


def _time(moment: datetime, with_time: bool = True, utc: bool = False) -> str:
    iso = moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    shown = show_utc(moment) if utc else show_date(moment, with_time)
    return f'<time datetime="{iso}">{shown}</time>'


# Exported pages are read offline, from file:// or any web server, long after the mirror:
# nothing in them may run. Styles: the sheet beside the pages, or the inline one of a web
# archive page. Images may still come from the original sites when a file was not kept.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'none'; object-src 'none'; frame-src 'none'; "
    "base-uri 'none'; form-action 'none'; img-src 'self' data: http: https:; "
    "style-src 'self' 'unsafe-inline'"
)


_TITLE_CLASS = ' class="title"'


def _a(href: str, text: str, extra: str = "") -> str:
    """A link, when ``href`` is http(s) or relative; otherwise (javascript:, data: ...) the
    text alone: a hostile feed or canonical must not become something to click."""
    if not is_safe_href(href):
        return f"<span{extra}>{escape(text)}</span>"
    return f'<a{extra} href="{escape(href)}">{escape(text)}</a>'


def layout(chrome: Chrome, title: str, main: str) -> str:
    if chrome.css_href is not None:
        style = f'<link rel="stylesheet" href="{escape(chrome.css_href)}">'
    else:
        style = f"<style>\n{STYLE}</style>"
    links = []
    if chrome.home_href:
        links.append(_a(chrome.home_href, "Tin mới"))
    if chrome.archive_href:
        links.append(_a(chrome.archive_href, "Chuyên mục và lưu trữ"))
    nav = f"<nav>{''.join(links)}</nav>" if links else ""
    name = (
        _a(chrome.home_href, chrome.site_name, ' class="name"')
        if chrome.home_href
        else f'<span class="name">{escape(chrome.site_name)}</span>'
    )
    page_title = title if title == chrome.site_name else f"{title} – {chrome.site_name}"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="vi">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(page_title)}</title>\n{style}\n</head>\n<body>\n"
        f'<header class="site">{name}\n{nav}</header>\n'
        f"<main>\n{main}\n</main>\n"
        '<footer class="site">Bản sao ngoại tuyến do syncd tạo từ kho lưu trữ.</footer>\n'
        "</body>\n</html>\n"
    )


def article_page(chrome: Chrome, view: ArticleView) -> str:
    meta = []
    if view.published:
        meta.append(f"<span>Đăng {_time(view.published)}</span>")
    if view.updated and view.updated != view.published:
        meta.append(f"<span>Cập nhật {_time(view.updated)}</span>")
    if view.author:
        meta.append(f'<span class="author">Tác giả: {escape(view.author)}</span>')
    if view.categories:
        names = ", ".join(
            _a(href, name) if href else escape(name) for name, href in view.categories
        )
        meta.append(f'<span class="categories">Chuyên mục: {names}</span>')
    attachments = ""
    if view.attachments:
        items = []
        for att in view.attachments:
            note = ' <span class="missing">(không có trong bản lưu)</span>' if att.missing else ""
            items.append(f"<li>{_a(att.href, att.label)}{note}</li>")
        attachments = (
            '<section class="attachments">\n<h2>Tệp đính kèm</h2>\n'
            f"<ul>\n{chr(10).join(items)}\n</ul>\n</section>\n"
        )
    note = (
        '<aside class="snapshot">Bản lưu của '
        f"{_a(view.source_url, view.source_url)}, nội dung ghi nhận lúc "
        f"{_time(view.revision_at, utc=True)}; bản xuất tính đến "
        f"{_time(view.as_of, utc=True)}.</aside>"
    )
    return layout(
        chrome,
        view.title,
        f"<article>\n<h1>{escape(view.title)}</h1>\n"
        f'<p class="meta">{"".join(meta)}</p>\n'
        f'<div class="body">\n{view.body_html}\n</div>\n'
        f"{attachments}{note}\n</article>",
    )


def listing_page(
    chrome: Chrome,
    heading: str,
    entries: Sequence[ListEntry],
    pager: Pager,
    note: str | None = None,
) -> str:
    items = []
    for entry in entries:
        summary = f"<p>{escape(entry.summary)}</p>" if entry.summary else ""
        items.append(
            f"<li>{_a(entry.href, entry.title, _TITLE_CLASS)}"
            f'<p class="meta">{_time(entry.date)}</p>{summary}</li>'
        )
    body = "\n".join(items) if items else "<li>Chưa có bài viết.</li>"
    nav = ""
    if pager.pages > 1:
        newer = _a(pager.newer_href, "← Mới hơn") if pager.newer_href else "<span></span>"
        older = _a(pager.older_href, "Cũ hơn →") if pager.older_href else "<span></span>"
        nav = (
            f'<nav class="pages">{newer}<span>Trang {pager.page}/{pager.pages}</span>{older}</nav>'
        )
    return layout(
        chrome,
        heading,
        f"<h1>{escape(heading)}</h1>\n"
        + (f'<p class="snapshot">{escape(note)}</p>\n' if note else "")
        + f'<ol class="list">\n{body}\n</ol>\n{nav}',
    )


def archive_page(
    chrome: Chrome,
    categories: Sequence[tuple[str, str, int]],
    months: Sequence[tuple[str, str, int]],
) -> str:
    def block(title: str, rows: Sequence[tuple[str, str, int]]) -> str:
        items = "\n".join(f"<li>{_a(href, name)} ({count})</li>" for name, href, count in rows)
        return f"<section>\n<h2>{escape(title)}</h2>\n<ul>\n{items}\n</ul>\n</section>"

    return layout(
        chrome,
        "Chuyên mục và lưu trữ",
        "<h1>Chuyên mục và lưu trữ</h1>\n"
        + block("Chuyên mục", categories)
        + "\n"
        + block("Theo tháng", months),
    )
