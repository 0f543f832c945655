"""Readable plain text of a revision document, for `show` and `diff` (pure)."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

import lxml.html

_BLOCKS = ("p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table", "ul", "ol")


def html_to_text(html: str) -> str:
    if not html.strip():
        return ""
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    for element in root.iter(*_BLOCKS):
        element.tail = "\n" + (element.tail or "")
    lines = (" ".join(line.split()) for line in root.text_content().splitlines())
    return "\n".join(line for line in lines if line)


def document_text(document: Mapping[str, Any] | None) -> str:
    if document is None:
        return "(deleted)\n"
    head = []
    for field in ("title", "url", "author", "published", "updated"):
        if document.get(field):
            head.append(f"{field}: {document[field]}")
    if document.get("categories"):
        head.append("categories: " + ", ".join(document["categories"]))
    for media in document.get("media") or []:
        head.append(f"media: {media.get('url')} sha256:{media.get('sha')}")
    body = html_to_text(str(document.get("body") or ""))
    summary = str(document.get("summary") or "")
    text = "\n".join(head) + "\n\n" + (body or summary)
    return text.rstrip("\n") + "\n"


def unified(a: str, b: str, label_a: str, label_b: str) -> str:
    return "".join(
        difflib.unified_diff(
            a.splitlines(keepends=True), b.splitlines(keepends=True), label_a, label_b
        )
    )
