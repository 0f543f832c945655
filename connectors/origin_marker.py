"""The origin marker a copy carries on its target (pure).

A copy must say where it came from and which sites it passed through, in a form that every
target keeps: WordPress runs an author's content through kses, the DNN Blog stores it
verbatim (HTML-encoded), and syncd's own reader sanitises with nh3, which drops comments,
``class``, ``id`` and ``data-*``. What all three keep is a link: an ``<a href>`` with an
http(s) URL. The marker is therefore a visible attribution link to the origin article whose
URL fragment carries the marker itself::

    <p class="syncd-origin"><a href="https://origin/a/1#syncd-origin=1;o=site_3a42;p=site">
    Nguồn: ...</a></p>

The fragment uses only letters, digits and ``.-_=;/`` (other characters of the ids are
written as ``_xx`` per UTF-8 byte): they survive URL handling, and WordPress's search treats
the token as one term (it splits on spaces, commas, plus signs and quotes, and finds no term
holding a ``%``), so the token can be searched for on targets with full-text search.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape
from urllib.parse import urlsplit

from connectors.htmltree import Element, drop, parse_fragment, serialize_fragment

_KEY = "syncd-origin="
_VERSION = "1"
_TOKEN = re.compile(r"syncd-origin=1;o=([A-Za-z0-9_.-]+);p=([A-Za-z0-9_./-]*)")
_PLAIN = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-")


class MarkerError(ValueError):
    """An origin marker cannot be built from the values given."""


@dataclass(frozen=True)
class OriginMarker:
    """Which item a copy comes from and the sites it travelled through before this copy,
    the origin's site first. ``origin`` is any stable string (syncd uses ``site:item``)."""

    origin: str
    path: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.origin:
            raise MarkerError("an origin marker needs a non-empty origin id")
        if any(not site for site in self.path):
            raise MarkerError("an origin marker's path may not contain an empty site name")

    @property
    def search_key(self) -> str:
        """A substring every copy of this origin contains, whatever path it took."""
        return f"{_KEY}{_VERSION};o={_quote(self.origin)};"

    @property
    def token(self) -> str:
        path = "/".join(_quote(site) for site in self.path)
        return f"{self.search_key}p={path}"

    def visited(self, site: str) -> bool:
        """True when ``site`` already held this item (the origin's site is path[0])."""
        return site in self.path


def _quote(value: str) -> str:
    # Not percent-encoding: WordPress's search finds no term holding a '%'.
    return "".join(
        ch if ch in _PLAIN else "".join(f"_{b:02x}" for b in ch.encode()) for ch in value
    )


def _unquote(value: str) -> str:
    return re.sub(
        r"(?:_[0-9a-f]{2})+", lambda m: bytes.fromhex(m.group(0).replace("_", "")).decode(), value
    )


def marker_html(marker: OriginMarker, origin_url: str, label: str) -> str:
    """The attribution paragraph that carries ``marker``; ``label`` is its visible text
    (the origin URL when empty). ``origin_url`` must be an absolute http(s) URL."""
    parts = urlsplit(origin_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise MarkerError(f"origin URL must be absolute http(s): {origin_url!r}")
    href = origin_url.split("#", 1)[0] + "#" + marker.token
    text = escape(label.strip() or origin_url.split("#", 1)[0], quote=False)
    return f'<p class="syncd-origin"><a href="{escape(href)}">{text}</a></p>'


def with_marker(html: str, marker: OriginMarker, origin_url: str, label: str) -> str:
    """``html`` with any earlier marker replaced by one for ``marker``, at the end."""
    return strip_marker(html) + marker_html(marker, origin_url, label)


def find_marker(html: str) -> OriginMarker | None:
    """The marker a body carries, or None. Reads the token wherever it sits, so it is found
    in stored HTML, in HTML-escaped text and after a sanitiser rewrote the link around it."""
    found = _TOKEN.search(html)
    if found is None:
        return None
    origin = _unquote(found.group(1))
    path = tuple(_unquote(site) for site in found.group(2).split("/") if site)
    return OriginMarker(origin, path)


def _marker_links(root: Element) -> list[Element]:
    return [a for a in root.iter("a") if _KEY in (a.get("href") or "")]


def strip_marker(html: str) -> str:
    """``html`` without its marker link (and the paragraph holding only that link): the
    body as the origin wrote it, for comparing a copy with what was delivered."""
    if _KEY not in html:
        return html
    root = parse_fragment(html)
    for link in _marker_links(root):
        parent = link.getparent()
        holds_only_link = (
            parent is not None
            and parent.tag == "p"
            and len(parent) == 1
            and not (parent.text or "").strip()
            and not (link.tail or "").strip()
        )
        drop(parent if holds_only_link and parent is not None else link)
    return serialize_fragment(root)
