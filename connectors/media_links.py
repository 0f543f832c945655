"""Pointing a body's images and documents at the copies uploaded to a target (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from html import unescape

from connectors.htmltree import parse_fragment, serialize_fragment

_LINKING = (("img", "src"), ("a", "href"))


def rewrite_media(html: str, uploaded: Mapping[str, str]) -> str:
    """``html`` with every ``img src`` and ``a href`` equal to a key of ``uploaded`` replaced
    by its value (the URL of the copy on the target). Other links are left alone; the HTML
    is re-serialised only when something changed."""
    if not uploaded or not any(url in unescape(html) for url in uploaded):
        return html
    root = parse_fragment(html)
    changed = False
    for tag, attribute in _LINKING:
        for element in root.iter(tag):
            new = uploaded.get((element.get(attribute) or "").strip())
            if new is not None:
                element.set(attribute, new)
                changed = True
    return serialize_fragment(root) if changed else html
