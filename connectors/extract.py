"""Extracting an article from a DNN page (pure): container, title, date, safe body, media."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import urljoin

import lxml.html
from lxml import etree

from connectors.errors import ParseError
from connectors.model import MediaRef
from connectors.sanitize import collect_media, html_text, sanitize_html
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


def extract_article(
    data: bytes, url: str, *, charset: str | None = None, selector: str | None = None
) -> Extracted:
    """Extract the article from page bytes fetched from ``url``. ``selector`` (CSS or
    XPath) overrides the default container search. Raises ParseError if no container matches."""
    text = decode(data, charset).text
    if not text.strip():
        raise ParseError(f"{url}: empty page")
    root = lxml.html.document_fromstring(text)
    base = urljoin(url, _first_attr(root, "//base[@href]", "href") or url)
    container = _container(root, selector)
    if container is None:
        wanted = selector or "any default DNN content container"
        raise ParseError(f"{url}: no element matches {wanted}")
    author = next(iter(_texts(root, _AUTHOR_SELECTORS)), None)
    categories = tuple(dict.fromkeys(_texts(root, _CATEGORY_SELECTORS)))
    title_element = _title_element(root, container)
    title = clean_line(title_element.text_content()) if title_element is not None else ""
    if not title:
        title = clean_line(
            _first_attr(root, "//meta[@property='og:title']", "content")
            or root.findtext(".//title")
        )
    if title_element is not None and _inside(title_element, container):
        title_element.drop_tree()  # the title is kept apart, not repeated in the body
    for junk in container.xpath(".//script | .//style | .//noscript"):
        junk.drop_tree()
    inner = (container.text or "") + "".join(
        etree.tostring(child, encoding="unicode", method="html") for child in container
    )
    body = sanitize_html(inner, base)
    canonical = _first_attr(root, "//link[@rel='canonical']", "href")
    return Extracted(
        title=title,
        body_html=body,
        published=_published(root),
        author=author,
        categories=categories,
        media=collect_media(body),
        canonical=urljoin(base, canonical) if canonical else None,
    )


def _container(root: lxml.html.HtmlElement, selector: str | None) -> lxml.html.HtmlElement | None:
    for candidate in (selector,) if selector else DEFAULT_CONTENT_SELECTORS:
        matches = select(root, candidate)
        with_text = [m for m in matches if clean_line(m.text_content()) or m.find(".//img")]
        if with_text:
            # Several modules can share a class (.Normal); the article is the longest.
            return max(with_text, key=lambda m: len(m.text_content()))
    return None


def _title_element(
    root: lxml.html.HtmlElement, container: lxml.html.HtmlElement
) -> lxml.html.HtmlElement | None:
    for selector in _TITLE_SELECTORS:
        for element in select(root, selector):
            if clean_line(element.text_content()):
                return element
    return None


def _texts(root: lxml.html.HtmlElement, selectors: tuple[str, ...]) -> list[str]:
    """Non-empty texts of the elements the first matching selector finds."""
    for selector in selectors:
        found = [clean_line(e.text_content()) for e in select(root, selector)]
        if any(found):
            return [text for text in found if text]
    return []


def _inside(element: etree._Element, container: etree._Element) -> bool:
    return any(ancestor is container for ancestor in element.iterancestors())


def _first_attr(root: lxml.html.HtmlElement, xpath: str, name: str) -> str | None:
    for element in root.xpath(xpath):
        value = (element.get(name) or "").strip()
        if value:
            return value
    return None


def _published(root: lxml.html.HtmlElement) -> datetime | None:
    meta = _first_attr(root, "//meta[@property='article:published_time']", "content")
    candidates = [meta] if meta else []
    for selector in _DATE_SELECTORS:
        for element in select(root, selector):
            candidates.append(element.get("datetime") or element.text_content())
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
