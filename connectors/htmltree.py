"""Parsed HTML as plain lxml elements (pure): parsing, text, and removing an element.

lxml.html builds its own element classes through a Python lookup callback for every element
it touches, which cost more than the parse itself on a DNN page. Extraction needs only the
plain tree, so it parses with lxml's default HTML parser and uses these few helpers instead
of lxml.html's methods (same results: ``text_of`` is the XPath string() that lxml.html's
``text_content`` evaluates, ``drop`` keeps the tail text as ``drop_tree`` does).
"""

from __future__ import annotations

import html

from lxml import etree
from lxml.etree import _Element as Element

from connectors.errors import ParseError

__all__ = [
    "MAX_DEPTH", "MAX_ELEMENTS", "Element", "drop", "parse_document", "parse_fragment",
    "serialize_fragment", "text_of",
]  # fmt: skip

# libxml2 stops building the tree at this depth (without XML_PARSE_HUGE) and says so in the
# error log; a page cut off there would be stored silently truncated, so it is an error.
# Real pages nest a few dozen levels; hostile ones nest deep to make every later stage slow
# (the sanitiser's time grows faster than linearly with depth).
MAX_DEPTH = 256
# What one parsed document may hold: a DNN page has a few thousand elements; each costs a few
# hundred bytes in lxml, so this bounds a tree to some tens of MB.
MAX_ELEMENTS = 100_000

_STRING = etree.XPath("string()", smart_strings=False)
_COUNT = etree.XPath("count(//*)")


def _parse(text: str) -> Element | None:
    """``text`` parsed as HTML within the limits above; ParseError names the one passed."""
    # Every element starts with "<": a cheap bound before parsing, so that a body that would
    # make millions of elements is never built at all.
    if text.count("<") > 4 * MAX_ELEMENTS:
        raise ParseError(f"more than {4 * MAX_ELEMENTS} tags in one document")
    parser = etree.HTMLParser()  # its own error log: parses may run in several threads
    root: Element | None = etree.fromstring(text, parser) if text.strip() else None
    for error in parser.error_log:
        if error.type == etree.ErrorTypes.ERR_RESOURCE_LIMIT:
            raise ParseError(f"markup nested more than {MAX_DEPTH} levels deep")
    if root is not None and _COUNT(root) > MAX_ELEMENTS:
        raise ParseError(f"more than {MAX_ELEMENTS} elements in one document")
    return root


def parse_document(text: str) -> Element | None:
    """The root of an HTML page, or None when it holds no element at all. Raises ParseError
    for a document nested deeper than MAX_DEPTH or holding more than MAX_ELEMENTS elements."""
    return _parse(text)


def parse_fragment(html: str) -> Element:
    """An HTML fragment's elements and text under one element (the fragment's body). Leading
    whitespace-only text is left out, as lxml.html's fragment parsing does. Limits as for
    parse_document."""
    root = _parse(f"<html><body>{html}</body></html>")
    body = root.find("body") if root is not None else None
    if body is None:
        empty: Element = etree.Element("body")
        return empty
    if body.text is not None and not body.text.strip():
        body.text = None
    return body


def text_of(element: Element) -> str:
    """All text inside ``element`` (not its tail), as XPath's string() gives it."""
    text: str = _STRING(element)
    return text


def drop(element: Element) -> None:
    """Remove ``element`` and everything in it, keeping the text that follows it."""
    parent = element.getparent()
    if parent is None:
        return
    if element.tail:
        previous = element.getprevious()
        if previous is None:
            parent.text = (parent.text or "") + element.tail
        else:
            previous.tail = (previous.tail or "") + element.tail
    parent.remove(element)


def serialize_fragment(root: Element) -> str:
    """The HTML inside a fragment's body (``parse_fragment``'s result), as text."""
    head = html.escape(root.text, quote=False) if root.text else ""
    body = "".join(etree.tostring(child, method="html", encoding="unicode") for child in root)
    return (head + body).strip()
