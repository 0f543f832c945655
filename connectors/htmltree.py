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

__all__ = ["Element", "drop", "parse_document", "parse_fragment", "serialize_fragment", "text_of"]

_STRING = etree.XPath("string()", smart_strings=False)


def parse_document(text: str) -> Element | None:
    """The root of an HTML page, or None when it holds no element at all."""
    root: Element | None = etree.HTML(text)
    return root


def parse_fragment(html: str) -> Element:
    """An HTML fragment's elements and text under one element (the fragment's body). Leading
    whitespace-only text is left out, as lxml.html's fragment parsing does."""
    root: Element | None = etree.HTML(f"<html><body>{html}</body></html>")
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
