"""Small helpers shared by the simulator tests."""

from __future__ import annotations

from lxml import etree

BODY_START = '<div class="edn_article_content Normal">'


def article_body(page: str) -> str:
    """The article body bytes exactly as the page carries them (bodies hold no div)."""
    start = page.index(BODY_START) + len(BODY_START)
    return page[start : page.index("</div>", start)]


def xml(data: bytes) -> etree._Element:
    return etree.fromstring(data, parser=etree.XMLParser(resolve_entities=False))
