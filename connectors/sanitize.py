"""Making remote HTML safe and self-contained (pure): nh3 with absolute URLs, NFC text, and
the images and documents it refers to."""

from __future__ import annotations

import posixpath
import re
from contextvars import ContextVar
from urllib.parse import unquote, urljoin, urlsplit

import nh3
from lxml import etree

from connectors.htmltree import MAX_DEPTH, parse_fragment, text_of
from connectors.model import MediaRef
from connectors.text import clean_line, nfc

_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "col", "colgroup",
        "dd", "del", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4",
        "h5", "h6", "hr", "i", "img", "ins", "li", "ol", "p", "pre", "q", "s", "small", "span",
        "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
    }
)  # fmt: skip
_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "col": {"span"},
    "colgroup": {"span"},
    "ol": {"start"},
}
_URL_ATTRIBUTES = frozenset({"href", "src"})
_SCHEMES = frozenset({"http", "https", "mailto", "tel"})

DOCUMENT_EXTENSIONS = frozenset(
    {
        ".pdf", ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".odt", ".ods", ".odp",
        ".rtf", ".txt", ".csv", ".zip", ".rar", ".7z",
    }
)  # fmt: skip
IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp", ".svg"})


# The base URL of the document being cleaned, for the attribute filter: nh3's Cleaner is built
# once (building one per call cost as much as the cleaning), so it cannot hold the base itself.
_BASE: ContextVar[str] = ContextVar("sanitize_base")


def _absolute(tag: str, attribute: str, value: str) -> str | None:
    if attribute in _URL_ATTRIBUTES:
        value = value.strip()
        if not value:
            return None
        return urljoin(_BASE.get(), value)
    return value


_CLEANER = nh3.Cleaner(
    tags=set(_TAGS),
    attributes={tag: set(names) for tag, names in _ATTRIBUTES.items()},
    url_schemes=set(_SCHEMES),
    attribute_filter=_absolute,
    link_rel=None,
    strip_comments=True,
)


def sanitize_html(html: str, base_url: str, *, bounded: bool = False) -> str:
    """Safe HTML: allowed tags and attributes only, scripts and styles dropped with their
    content, every href/src absolute against ``base_url``, text NFC.

    Unless ``bounded`` (the caller serialised it from a tree parse_document accepted), the
    HTML is first held to parse_document's limits: ParseError when it is nested too deep or
    too large. Fewer tags than MAX_DEPTH cannot nest deeper, so most fragments skip that."""
    if not bounded and html.count("<") > MAX_DEPTH:
        parse_fragment(html)
    token = _BASE.set(base_url)
    try:
        cleaned = _CLEANER.clean(html)
    finally:
        _BASE.reset(token)
    return nfc(cleaned).strip()


def html_text(html: str) -> str:
    """The visible text of an HTML fragment, whitespace folded: for summaries and comparisons."""
    if not html.strip():
        return ""
    return clean_line(text_of(parse_fragment(html)))


def _extension(path: str) -> str:
    return posixpath.splitext(path.lower())[1]


def is_document_url(url: str) -> bool:
    """A link to a file worth keeping: a document under /Portals/ (or anywhere, by extension)
    or any DNN LinkClick.aspx file ticket."""
    parts = urlsplit(url)
    if parts.path.lower().endswith("/linkclick.aspx"):
        return "fileticket=" in parts.query.lower() or "link=" in parts.query.lower()
    return _extension(unquote(parts.path)) in DOCUMENT_EXTENSIONS


def _filename(url: str, text: str) -> str | None:
    parts = urlsplit(url)
    name = posixpath.basename(unquote(parts.path))
    if name.lower() == "linkclick.aspx":
        label = clean_line(text)
        return label if re.search(r"\.\w{2,4}$", label) else None
    return nfc(name) or None


def collect_media(html: str) -> tuple[MediaRef, ...]:
    """Images (img src) and documents (links to document files) in sanitised HTML, in order,
    without duplicates. URLs must already be absolute."""
    return media_and_text(html)[0]


def media_and_text(html: str) -> tuple[tuple[MediaRef, ...], str]:
    """collect_media(html) and the fragment's text as html_text sees it before folding its
    whitespace (html_text(html) == clean_line(text)), from one parse."""
    if not html.strip():
        return (), ""
    root = parse_fragment(html)
    found: dict[str, MediaRef] = {}
    for element in root.iter("img", "a"):
        if element.tag == "img":
            url = (element.get("src") or "").strip()
            if url.startswith(("http://", "https://")) and url not in found:
                found[url] = MediaRef(url, "image", _filename(url, ""))
        else:
            url = (element.get("href") or "").strip()
            if url.startswith(("http://", "https://")) and url not in found:
                if is_document_url(url):
                    text = etree.tostring(element, method="text", encoding="unicode")
                    found[url] = MediaRef(url, "document", _filename(url, text))
                elif _extension(urlsplit(url).path) in IMAGE_EXTENSIONS:
                    found[url] = MediaRef(url, "image", _filename(url, ""))
    return tuple(found.values()), text_of(root)
