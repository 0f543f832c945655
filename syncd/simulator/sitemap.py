"""DNN's Sitemap.aspx: a urlset, or a sitemapindex of ?i=N parts above a threshold."""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape

from .content import Article

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"


def part_count(total: int, threshold: int) -> int:
    """0 when one urlset holds everything, else how many ?i=N parts the index lists."""
    return 0 if total <= threshold else -(-total // threshold)


def render_urlset(base_url: str, articles: Sequence[Article]) -> str:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', f'<urlset xmlns="{SITEMAP_NS}">']
    for article in articles:
        lines += [
            "  <url>",
            f"    <loc>{escape(base_url + article.path)}</loc>",
            f"    <lastmod>{article.modified:%Y-%m-%d}</lastmod>",
            "    <changefreq>daily</changefreq>",
            "    <priority>0.5</priority>",
            "  </url>",
        ]
    lines += ["</urlset>", ""]
    return "\n".join(lines)


def render_index(base_url: str, parts: int, lastmod: str) -> str:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', f'<sitemapindex xmlns="{SITEMAP_NS}">']
    for i in range(1, parts + 1):
        lines += [
            "  <sitemap>",
            f"    <loc>{escape(base_url)}/Sitemap.aspx?i={i}</loc>",
            f"    <lastmod>{lastmod}</lastmod>",
            "  </sitemap>",
        ]
    lines += ["</sitemapindex>", ""]
    return "\n".join(lines)


def part_slice(articles: Sequence[Article], index: int, threshold: int) -> Sequence[Article]:
    """Articles of part `index` (1-based); empty for an index out of range."""
    if index < 1:
        return []
    return articles[(index - 1) * threshold : index * threshold]
