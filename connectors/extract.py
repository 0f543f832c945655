"""Extracting an article from a DNN page (pure): container, title, date, safe body, media."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import urljoin

from lxml import etree

from connectors.errors import ParseError
from connectors.htmltree import Element, drop, parse_document, text_of
from connectors.model import MediaRef
from connectors.pageindex import PageIndex
from connectors.sanitize import html_text, media_and_text, sanitize_html
from connectors.schemes import is_web_url
from connectors.selectors import select
from connectors.text import clean_line, decode

# Tried in order; the first that matches an element with text wins. EasyDNNnews, the DNN Blog
# module, any module's .Normal (the HTML module's container) and finally the whole pane.
DEFAULT_CONTENT_SELECTORS = (
    ".edn_article_content",
    ".edn_articleContent",
    ".edn_article",
    ".dnnBlogPost .bc-content",
    ".DnnModule .Normal",
    "#dnn_ContentPane",
    "article",
    "main",
    "body",
)
_TITLE_SELECTORS = (
    ".edn_article_title",
    ".edn_articleTitle",
    ".dnnBlogPost h1",
    "#dnn_ContentPane h1",
    "h1",
)
_AUTHOR_SELECTORS = (".edn_author", ".edn_articleAuthor", ".bc-author")
_CATEGORY_SELECTORS = (".edn_articleCategory", ".edn_category", ".bc-category")
_DATE_SELECTORS = (".edn_articleDate", ".edn_metaDate", ".bc-date", "time")
_INDEXED = (
    *DEFAULT_CONTENT_SELECTORS, *_TITLE_SELECTORS, *_AUTHOR_SELECTORS, *_CATEGORY_SELECTORS,
    *_DATE_SELECTORS,
)  # fmt: skip
_HEAD_TAGS = ("base", "meta", "link")
_JUNK = etree.XPath(".//script | .//style | .//noscript")
_VN_TIME = timezone(timedelta(hours=7))  # dates printed on pages are local time in Vietnam
_DMY = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:\D+(\d{1,2}):(\d{2}))?")


@dataclass(frozen=True)
class Extracted:
    title: str
    body_html: str  # sanitised, absolute URLs, NFC
    published: datetime | None  # UTC
    author: str | None
    categories: tuple[str, ...]
    media: tuple[MediaRef, ...]
    canonical: str | None  # <link rel="canonical">, absolute
    # the body's visible text, whitespace not yet folded: html_text(body_html) is
    # clean_line(body_text); kept so that a summary need not parse the body again
    body_text: str = ""


def extract_article(
    data: bytes, url: str, *, charset: str | None = None, selector: str | None = None
) -> Extracted:
    """Extract the article from page bytes fetched from ``url``. ``selector`` (CSS or
    XPath) overrides the default container search. Raises ParseError if no container matches
    or the page passes htmltree's limits (nesting depth, elements). CPU-bound: callers on an
    event loop run it in a worker thread (lxml and nh3 release the GIL while they work)."""
    text = decode(data, charset).text
    if not text.strip():
        raise ParseError(f"{url}: empty page")
    root = parse_document(text)
    if root is None:
        raise ParseError(f"{url}: no HTML element in the page")
    # one walk of the page answers every built-in selector below (the page is scanned once)
    page = PageIndex(root, _INDEXED, _HEAD_TAGS)
    base = urljoin(url, page.first_attr("base", "href") or url)
    container = _container(root, page, selector)
    if container is None:
        wanted = selector or "any default DNN content container"
        raise ParseError(f"{url}: no element matches {wanted}")
    author = next(iter(_texts(page, _AUTHOR_SELECTORS)), None)
    categories = tuple(dict.fromkeys(_texts(page, _CATEGORY_SELECTORS)))
    title_element = _title_element(page)
    title = clean_line(text_of(title_element)) if title_element is not None else ""
    if not title:
        title = clean_line(
            page.first_attr("meta", "content", ("property", "og:title"))
            or root.findtext(".//title")
        )
    if title_element is not None and _inside(title_element, container):
        drop(title_element)  # the title is kept apart, not repeated in the body
    for junk in _JUNK(container):
        drop(junk)
    # From here the tree has lost the title and the junk: the index answers only for
    # elements still in it.
    page.tree_changed()
    inner = (container.text or "") + "".join(
        etree.tostring(child, encoding="unicode", method="html") for child in container
    )
    body = sanitize_html(inner, base, bounded=True)
    canonical = page.first_attr("link", "href", ("rel", "canonical"))
    media, body_text = media_and_text(body)
    return Extracted(
        title=title,
        body_html=body,
        published=_published(page),
        author=author,
        categories=categories,
        media=media,
        canonical=_web_url(urljoin(base, canonical)) if canonical else None,
        body_text=body_text,
    )


def _web_url(url: str) -> str | None:
    # a hostile canonical (javascript:, data:) is dropped: the item keeps the URL it came from
    return url if is_web_url(url) else None


def _container(root: Element, page: PageIndex, selector: str | None) -> Element | None:
    for candidate in (selector,) if selector else DEFAULT_CONTENT_SELECTORS:
        matches = select(root, candidate) if selector else page.select(candidate)
        # (length of text, element): text_content() of a page-sized element is not cheap
        sized = []
        for match in matches:
            text = text_of(match)
            # text.strip() is the test clean_line(text) != "" without folding all the page
            # an element without children is falsy in lxml: test for presence explicitly
            if text.strip() or match.find(".//img") is not None:
                sized.append((len(text), match))
        if sized:
            # Several modules can share a class (.Normal); the article is the longest.
            return max(sized, key=lambda pair: pair[0])[1]
    return None


def _title_element(page: PageIndex) -> Element | None:
    for selector in _TITLE_SELECTORS:
        for element in page.select(selector):
            if text_of(element).strip():
                return element
    return None


def _texts(page: PageIndex, selectors: tuple[str, ...]) -> list[str]:
    """Non-empty texts of the elements the first matching selector finds."""
    for selector in selectors:
        found = [clean_line(text_of(e)) for e in page.select(selector)]
        if any(found):
            return [text for text in found if text]
    return []


def _inside(element: Element, container: Element) -> bool:
    return any(ancestor is container for ancestor in element.iterancestors())


def _published(page: PageIndex) -> datetime | None:
    meta = page.first_attr("meta", "content", ("property", "article:published_time"))
    candidates = [meta] if meta else []
    for selector in _DATE_SELECTORS:
        for element in page.select(selector):
            candidates.append(element.get("datetime") or text_of(element))
    for candidate in candidates:
        parsed = parse_page_date(candidate)
        if parsed is not None:
            return parsed
    return None


def parse_page_date(value: str | None) -> datetime | None:
    """An ISO 8601 date-time, or a Vietnamese dd/mm/yyyy [hh:mm] (local time), as UTC."""
    if not value:
        return None
    value = value.strip()
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        match = _DMY.search(value)
        if match is None:
            return None
        day, month, year, hour, minute = match.groups()
        try:
            parsed = datetime(
                int(year), int(month), int(day), int(hour or 0), int(minute or 0),
                tzinfo=_VN_TIME,
            )  # fmt: skip
        except ValueError:
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=_VN_TIME)
    return parsed.astimezone(UTC)


__all__ = ["DEFAULT_CONTENT_SELECTORS", "Extracted", "extract_article", "html_text"]
