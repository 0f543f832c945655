"""DNN core RSS (RSS.aspx): RSS 2.0, no namespaces, escaped text, guid = link."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from xml.sax.saxutils import escape

from .content import Article
from .http_cache import http_date


def render_core_rss(
    portal_name: str,
    base_url: str,
    articles: Sequence[Article],
    year: int,
) -> str:
    """The feed text. Items carry no author, category or enclosure, as DNN's do not."""
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<rss version="2.0">',
        "<channel>",
        f"<title>{escape(portal_name)}</title>",
        f"<link>{escape(base_url)}</link>",
        f"<description>{escape(portal_name)} RSS Generator</description>",
        "<language>vi-VN</language>",
        f"<copyright>Copyright {year} by {escape(portal_name)}</copyright>",
        f"<webMaster>{escape(webmaster(base_url))}</webMaster>",
    ]
    for article in articles:
        link = escape(base_url + article.path)
        lines += [
            "<item>",
            f"<title>{escape(article.title)}</title>",
            f"<description>{escape(article.summary)}</description>",
            f"<pubDate>{http_date(article.published)}</pubDate>",
            f"<link>{link}</link>",
            f"<guid>{link}</guid>",
            "</item>",
        ]
    lines += ["</channel>", "</rss>", ""]
    return "\n".join(lines)


def webmaster(base_url: str) -> str:
    host = base_url.split("://", 1)[-1].split(":", 1)[0]
    return f"webmaster@{host}"


def last_change(articles: Sequence[Article], floor: datetime) -> datetime:
    return max([floor, *(a.modified for a in articles)])
