"""Parsing limits (pure): a document nested too deep or too large fails alone, with a reason,
before the sanitiser sees it; links that are not http(s) never become an item's URL."""

from __future__ import annotations

import pytest

from connectors.errors import ParseError
from connectors.extract import extract_article
from connectors.feedparse import parse_feed
from connectors.htmltree import MAX_DEPTH, MAX_ELEMENTS, parse_document, parse_fragment
from connectors.sanitize import sanitize_html

BASE = "https://xa.example/tin-tuc/1"


def _nested(depth: int) -> str:
    return "<div>" * depth + "chữ" + "</div>" * depth


def _page(body: str, head: str = "") -> bytes:
    return (
        f"<html><head>{head}</head><body><div id='dnn_ContentPane'><h1>Tiêu đề</h1>{body}"
        "</div></body></html>"
    ).encode()


def test_depth_within_the_limit_parses() -> None:
    root = parse_fragment(_nested(MAX_DEPTH - 10))
    assert root.xpath("string()") == "chữ"


@pytest.mark.parametrize("depth", [MAX_DEPTH + 10, 100_000])
def test_deeper_than_the_limit_is_a_parse_error(depth: int) -> None:
    with pytest.raises(ParseError, match=f"nested more than {MAX_DEPTH} levels deep"):
        parse_document(_nested(depth))
    with pytest.raises(ParseError, match="nested more than"):
        sanitize_html(_nested(depth), BASE)
    with pytest.raises(ParseError, match="nested more than"):
        extract_article(_page(_nested(depth)), BASE)


def test_element_count_is_bounded() -> None:
    assert parse_document("<p>x</p>" * (MAX_ELEMENTS - 10)) is not None
    with pytest.raises(ParseError, match=f"more than {MAX_ELEMENTS} elements"):
        parse_document("<p>x</p>" * (MAX_ELEMENTS + 1))
    # far past it, the document is refused before it is parsed at all
    with pytest.raises(ParseError, match="tags in one document"):
        parse_document("<b>" * (5 * MAX_ELEMENTS))


def test_bounded_html_skips_the_extra_parse_but_sanitises_the_same() -> None:
    html = "<p>một</p><script>x()</script>" * 300
    assert sanitize_html(html, BASE) == sanitize_html(html, BASE, bounded=True)
    assert "script" not in sanitize_html(html, BASE)


@pytest.mark.parametrize(
    "canonical", ["javascript:alert(1)", " JavaScript:alert(1)", "data:text/html,<b>x</b>"]
)
def test_a_hostile_canonical_is_dropped(canonical: str) -> None:
    page = extract_article(
        _page("<p>Nội dung</p>", f'<link rel="canonical" href="{canonical}">'), BASE
    )
    assert page.canonical is None


def test_a_web_canonical_is_kept_absolute() -> None:
    page = extract_article(_page("<p>Nội dung</p>", '<link rel="canonical" href="/bai/2">'), BASE)
    assert page.canonical == "https://xa.example/bai/2"


def test_a_feed_link_that_is_not_web_is_dropped_and_the_guid_names_the_entry() -> None:
    feed = (
        b'<rss version="2.0"><channel><title>T</title>'
        b"<item><guid>g-1</guid><title>A</title><link>javascript:alert(1)</link></item>"
        b"<item><title>B</title><link>javascript:alert(2)</link></item>"
        b"<item><guid>g-3</guid><title>C</title><link>https://xa.example/c</link></item>"
        b"</channel></rss>"
    )
    entries = {e.title: e for e in parse_feed(feed).entries}
    assert set(entries) == {"A", "C"}  # B has nothing left to be known by
    assert (entries["A"].key, entries["A"].link) == ("g-1", None)
    assert entries["C"].link == "https://xa.example/c"
