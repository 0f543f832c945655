"""Parsing sitemaps.org urlset and sitemapindex documents (pure, with a safe lxml parser)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from lxml import etree

from connectors.errors import ParseError


@dataclass(frozen=True)
class SitemapUrl:
    loc: str
    lastmod: datetime | None  # UTC


@dataclass(frozen=True)
class Sitemap:
    urls: tuple[SitemapUrl, ...]  # from a urlset
    children: tuple[str, ...]  # from a sitemapindex: the part sitemaps' URLs
    malformed: bool

    @property
    def is_index(self) -> bool:
        return bool(self.children)


def _parser(recover: bool) -> etree.XMLParser:
    # No network, no entity expansion, no DTD, no huge trees: a sitemap is untrusted input.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        recover=recover,
        remove_comments=True,
    )


def parse_sitemap(data: bytes) -> Sitemap:
    """Parse bytes (lxml honours the XML declaration's encoding). Broken XML is read
    leniently and flagged; bytes with no urlset or sitemapindex raise ParseError."""
    malformed = False
    try:
        root = etree.fromstring(data, _parser(recover=False))
    except etree.XMLSyntaxError:
        malformed = True
        root = etree.fromstring(data, _parser(recover=True)) if data.strip() else None
    if root is None:
        raise ParseError("sitemap: empty or unreadable document")
    kind = _local(root.tag)
    if kind not in ("urlset", "sitemapindex"):
        raise ParseError(f"sitemap: root element is <{kind}>, not urlset or sitemapindex")
    child = "url" if kind == "urlset" else "sitemap"
    found: list[SitemapUrl] = []
    for element in root:
        tag = element.tag
        if not isinstance(tag, str) or _local(tag) != child:
            continue
        loc, lastmod = _loc_and_lastmod(element)
        if loc:
            found.append(SitemapUrl(loc, parse_lastmod(lastmod)))
    if kind == "urlset":
        return Sitemap(tuple(found), (), malformed)
    return Sitemap((), tuple(u.loc for u in found), malformed)


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
