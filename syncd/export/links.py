"""Rewriting the links of a stored body so they point into the export (pure).

Bodies are stored sanitised with absolute URLs. A link to a mirrored article or to a media
file kept in the export becomes a relative path; anything else stays absolute, so a reader
of the emergency copy can still follow it when the network is there.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

import lxml.html

from connectors.urls import normalize_key
from syncd.export.names import relative

# DNN reaches one article by several URL shapes (/tin-tuc/ArticleId/7/x, /tabid/56/ArticleId/7/
# x.aspx, /Default.aspx?tabid=56&ArticleId=7); the article id on a host names it in all of them.
_ARTICLE_ID_PATH = re.compile(r"/articleid/(\d+)(?:/|$)", re.IGNORECASE)


def _article_ref(url: str) -> tuple[str, str] | None:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if not host:
        return None
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    found = _ARTICLE_ID_PATH.search(parts.path)
    if found:
        return host, found.group(1)
    for key, value in parse_qsl(parts.query):
        if key.lower() == "articleid" and value.isdigit():
            return host, value
    return None


def _key(url: str) -> str | None:
    if not url.lower().startswith(("http://", "https://")):
        return None
    return normalize_key(url)


@dataclass
class LinkMap:
    """Where each mirrored URL lives inside the export, as paths from its root."""

    _by_key: dict[str, str] = field(default_factory=dict)
    _by_article_id: dict[tuple[str, str], str] = field(default_factory=dict)

    def add_article(self, urls: Iterable[str], path: str) -> None:
        for url in urls:
            key = _key(url)
            if key:
                self._by_key.setdefault(key, path)
            ref = _article_ref(url)
            if ref:
                self._by_article_id.setdefault(ref, path)

    def add_file(self, url: str, path: str) -> None:
        key = _key(url)
        if key:
            self._by_key[key] = path

    def target(self, url: str) -> str | None:
        key = _key(url)
        if key is None:
            return None
        found = self._by_key.get(key)
        if found is None:
            ref = _article_ref(url)
            found = self._by_article_id.get(ref) if ref else None
        return found

    def resolver(self, from_page: str, extra: LinkMap | None = None) -> Callable[[str], str | None]:
        """Relative links as seen from `from_page`; `extra` (one article's media) wins."""

        def resolve(url: str) -> str | None:
            found = (extra.target(url) if extra else None) or self.target(url)
            if found is None:
                return None
            fragment = urlsplit(url).fragment
            link = relative(from_page, found)
            return f"{link}#{fragment}" if fragment else link

        return resolve


def rewrite_links(body: str, resolve: Callable[[str], str | None]) -> str:
    """`body` with every href/src that `resolve` knows replaced by what it returns."""
    if not body.strip():
        return body
    root = lxml.html.fragment_fromstring(body, create_parent="div")
    changed = False
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        for attribute in ("href", "src"):
            value = element.get(attribute)
            if value is None:
                continue
            local = resolve(value.strip())
            if local is not None:
                element.set(attribute, local)
                changed = True
    if not changed:
        return body
    html: str = lxml.html.tostring(root, encoding="unicode", method="html")
    # drop the wrapper <div> that fragment parsing added
    return html[len("<div>") : -len("</div>")]
