"""Sitemap parsing with a safe parser."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connectors.errors import ParseError
from connectors.sitemap import parse_lastmod, parse_sitemap

URLSET = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>https://a.gov.vn/</loc><lastmod>2025-05-01</lastmod><changefreq>daily</changefreq>
<priority>0.5</priority></url>
<url><loc>https://a.gov.vn/tin-tuc/ArticleId/1/x</loc><lastmod>2025-05-02T10:00:00+07:00</lastmod></url>
<url><loc> https://a.gov.vn/gioi-thieu </loc></url>
<url><changefreq>daily</changefreq></url>
</urlset>"""

INDEX = b"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>https://a.gov.vn/Sitemap.aspx?i=1</loc><lastmod>2025-05-01</lastmod></sitemap>
<sitemap><loc>https://a.gov.vn/Sitemap.aspx?i=2</loc></sitemap>
</sitemapindex>"""


def test_urlset() -> None:
    sitemap = parse_sitemap(URLSET)
    assert not sitemap.is_index and not sitemap.malformed
    assert [u.loc for u in sitemap.urls] == [
        "https://a.gov.vn/",
        "https://a.gov.vn/tin-tuc/ArticleId/1/x",
        "https://a.gov.vn/gioi-thieu",
    ]
    assert sitemap.urls[0].lastmod == datetime(2025, 5, 1, tzinfo=UTC)
    assert sitemap.urls[1].lastmod == datetime(2025, 5, 2, 3, tzinfo=UTC)
    assert sitemap.urls[2].lastmod is None


def test_index() -> None:
    sitemap = parse_sitemap(INDEX)
    assert sitemap.is_index
    assert sitemap.children == (
        "https://a.gov.vn/Sitemap.aspx?i=1",
        "https://a.gov.vn/Sitemap.aspx?i=2",
    )


def test_truncated_sitemap_is_recovered_and_flagged() -> None:
    sitemap = parse_sitemap(URLSET[: URLSET.index(b"<url><loc> https")])
    assert sitemap.malformed
    assert len(sitemap.urls) == 2


def test_entities_are_not_expanded_and_nothing_is_fetched() -> None:
    evil = b"""<?xml version="1.0"?>
<!DOCTYPE urlset [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY ext SYSTEM "file:///etc/passwd">]>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>https://a.gov.vn/&b;</loc></url><url><loc>https://a.gov.vn/&ext;</loc></url></urlset>"""
    sitemap = parse_sitemap(evil)
    locs = " ".join(u.loc for u in sitemap.urls)
    assert "root:" not in locs
    assert "aaaaaaaaaa" * 10 not in locs


def test_not_a_sitemap() -> None:
    with pytest.raises(ParseError, match="root element is <html>"):
        parse_sitemap(b"<html><body>oops</body></html>")
    with pytest.raises(ParseError):
        parse_sitemap(b"   ")


def test_parse_lastmod() -> None:
    assert parse_lastmod("2025-05-01T10:00:00Z") == datetime(2025, 5, 1, 10, tzinfo=UTC)
    assert parse_lastmod("yesterday") is None
    assert parse_lastmod(None) is None


def _urlset(count: int) -> bytes:
    urls = "".join(f"<url><loc>https://a.gov.vn/p/{n}</loc></url>" for n in range(count))
    return f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'.encode()


def test_parsing_stops_after_max_entries() -> None:
    whole = parse_sitemap(_urlset(10))
    assert (len(whole.urls), whole.truncated) == (10, False)
    assert parse_sitemap(_urlset(10), max_entries=10).truncated is False
    cut = parse_sitemap(_urlset(10), max_entries=4)
    assert cut.truncated and [u.loc for u in cut.urls] == [
        f"https://a.gov.vn/p/{n}" for n in range(4)
    ]


def test_only_the_roots_own_entries_count() -> None:
    nested = b"""<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>https://a.gov.vn/1</loc></url>
<other><url><loc>https://a.gov.vn/hidden</loc></url></other>
<url><loc>https://a.gov.vn/2</loc></url></urlset>"""
    assert [u.loc for u in parse_sitemap(nested).urls] == [
        "https://a.gov.vn/1",
        "https://a.gov.vn/2",
    ]
