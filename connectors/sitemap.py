"""Parsing sitemaps.org urlset and sitemapindex documents (pure, with a safe lxml parser)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from io import BytesIO

from lxml import etree

from connectors.errors import ParseError


@dataclass(frozen=True, slots=True)
class SitemapUrl:
    loc: str
    lastmod: datetime | None  # UTC


@dataclass(frozen=True)
class Sitemap:
    urls: tuple[SitemapUrl, ...]  # from a urlset
    children: tuple[str, ...]  # from a sitemapindex: the part sitemaps' URLs
    malformed: bool
    truncated: bool = False  # more entries than the caller's max_entries: the rest unread

    @property
    def is_index(self) -> bool:
        return bool(self.children)


def parse_sitemap(data: bytes, max_entries: int | None = None) -> Sitemap:
    """Parse bytes (lxml honours the XML declaration's encoding). Broken XML is read
    leniently and flagged; bytes with no urlset or sitemapindex raise ParseError.

    The document is read as a stream and each entry dropped from the tree once read, so the
    memory held is the entries kept, not a tree of the whole document; parsing stops after
    ``max_entries`` entries (``truncated`` then says more followed)."""
    if not data.strip():
        raise ParseError("sitemap: empty or unreadable document")
    try:
        return _parse(data, max_entries, recover=False)
    except etree.XMLSyntaxError:
        pass
    try:
        return _parse(data, max_entries, recover=True)
    except etree.XMLSyntaxError as error:
        raise ParseError(f"sitemap: unreadable document ({error})") from None


def _parse(data: bytes, max_entries: int | None, recover: bool) -> Sitemap:
    # No network, no entity expansion, no DTD, no huge trees: a sitemap is untrusted input.
    events = etree.iterparse(
        BytesIO(data),
        events=("end",),
        tag=("{*}url", "{*}sitemap"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        recover=recover,
        remove_comments=True,
    )
    kind = child = ""
    found: list[SitemapUrl] = []
    truncated = False
    for _event, element in events:
        root = element.getparent()
        if root is None or root.getparent() is not None:
            continue  # the root itself, or an entry nested deeper than the root's children
        if not kind:
            kind = _root_kind(root)
            child = "url" if kind == "urlset" else "sitemap"
        if _local(element.tag) != child:
            continue
        loc, lastmod = _loc_and_lastmod(element)
        if loc:
            if max_entries is not None and len(found) >= max_entries:
                truncated = True
                break
            found.append(SitemapUrl(loc, parse_lastmod(lastmod)))
        # drop what was read: the tree never holds more than one entry's elements
        element.clear()
        while element.getprevious() is not None:
            del root[0]
    if not kind:  # no entry at all: still a sitemap, or not one?
        kind = _root_kind(events.root)
    malformed = recover
    if kind == "urlset":
        return Sitemap(tuple(found), (), malformed, truncated)
    return Sitemap((), tuple(u.loc for u in found), malformed, truncated)


def _root_kind(root: etree._Element | None) -> str:
    kind = _local(root.tag) if root is not None and isinstance(root.tag, str) else ""
    if kind not in ("urlset", "sitemapindex"):
        raise ParseError(f"sitemap: root element is <{kind}>, not urlset or sitemapindex")
    return kind


def _local(tag: str) -> str:
    """The local name of a tag as lxml writes it ({namespace}name), without building a QName
    for each of a sitemap's tens of thousands of elements."""
    return tag.rpartition("}")[2]


def _loc_and_lastmod(element: etree._Element) -> tuple[str | None, str | None]:
    """The first <loc> and <lastmod> child texts, stripped (None when absent or blank), from
    one pass over the children."""
    loc = lastmod = None
    for child in element:
        tag = child.tag
        if not isinstance(tag, str):
            continue
        name = _local(tag)
        if name == "loc" and loc is None:
            loc = (child.text or "").strip()
        elif name == "lastmod" and lastmod is None:
            lastmod = (child.text or "").strip()
    return loc or None, lastmod or None


def parse_lastmod(value: str | None) -> datetime | None:
    """W3C datetime (yyyy-MM-dd, or with a time and zone) to UTC; None if unreadable."""
    if not value:
        return None
    return _parse_lastmod(value)


@lru_cache(maxsize=4096)
def _parse_lastmod(value: str) -> datetime | None:
    # cached: a sitemap repeats the same few dates (whole days, publishing runs) many times
    text = value.strip().replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
