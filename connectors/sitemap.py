"""Parsing sitemaps.org urlset and sitemapindex documents (pure, with a safe lxml parser)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

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
    kind = etree.QName(root).localname
    if kind not in ("urlset", "sitemapindex"):
        raise ParseError(f"sitemap: root element is <{kind}>, not urlset or sitemapindex")
    child = "url" if kind == "urlset" else "sitemap"
    found: list[SitemapUrl] = []
    for element in root:
        if not isinstance(element.tag, str) or etree.QName(element).localname != child:
            continue
        loc = _child_text(element, "loc")
        if loc:
            found.append(SitemapUrl(loc, parse_lastmod(_child_text(element, "lastmod"))))
    if kind == "urlset":
        return Sitemap(tuple(found), (), malformed)
    return Sitemap((), tuple(u.loc for u in found), malformed)


def _child_text(element: etree._Element, name: str) -> str | None:
    for child in element:
        if isinstance(child.tag, str) and etree.QName(child).localname == name:
            return (child.text or "").strip() or None
    return None


def parse_lastmod(value: str | None) -> datetime | None:
    """W3C datetime (yyyy-MM-dd, or with a time and zone) to UTC; None if unreadable."""
    if not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
