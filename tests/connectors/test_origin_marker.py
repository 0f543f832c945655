"""The origin marker: built, found again through the sanitisers that stand between a copy
and syncd, and taken out again for comparisons (pure, no network)."""

from __future__ import annotations

import html

import pytest

from connectors.origin_marker import (
    MarkerError,
    OriginMarker,
    find_marker,
    marker_html,
    strip_marker,
    with_marker,
)
from connectors.sanitize import sanitize_html

MARKER = OriginMarker("huyện-kon-rẫy:4711", ("huyen kon ray", "tinh_kon_tum", "a/b;c=d%"))
URL = "https://konray.kontum.gov.vn/tin-tuc/ArticleId/4711/hop-dan"


def test_round_trip_keeps_every_character() -> None:
    snippet = marker_html(MARKER, URL, "Nguồn: huyện Kon Rẫy")
    assert find_marker(snippet) == MARKER
    assert "Nguồn: huyện Kon Rẫy</a>" in snippet


def test_token_is_one_search_term_without_percent() -> None:
    token = MARKER.token
    assert not any(ch in token for ch in " ,+\"'%")
    assert token.startswith(MARKER.search_key)
    # the origin alone decides the search key: another path finds the same copy
    assert OriginMarker(MARKER.origin, ("x",)).search_key == MARKER.search_key


def test_found_after_syncd_sanitiser_and_in_escaped_text() -> None:
    body = with_marker("<p>Nội dung</p>", MARKER, URL, "Nguồn")
    assert find_marker(sanitize_html(body, "https://target.example/")) == MARKER
    assert find_marker(html.escape(body)) == MARKER  # DNN stores the body HTML-encoded


def test_with_marker_replaces_an_earlier_one() -> None:
    first = with_marker("<p>A</p>", OriginMarker("s:1", ("s",)), URL, "Nguồn")
    second = with_marker(first, MARKER, URL, "Nguồn")
    assert second.count("syncd-origin=") == 1
    assert find_marker(second) == MARKER


def test_strip_marker_gives_back_the_body() -> None:
    body = "<p>Đoạn một</p><p>Đoạn <b>hai</b></p>"
    assert strip_marker(with_marker(body, MARKER, URL, "Nguồn")) == body
    assert strip_marker(body) == body


def test_strip_keeps_a_paragraph_with_other_text() -> None:
    link = marker_html(MARKER, URL, "Nguồn")
    inner = link.removeprefix('<p class="syncd-origin">').removesuffix("</p>")
    assert strip_marker(f"<p>Xem thêm {inner}</p>") == "<p>Xem thêm </p>"


def test_no_marker_is_none() -> None:
    assert find_marker("<p>syncd-origin= nothing here</p>") is None


@pytest.mark.parametrize(
    ("origin", "path", "url"),
    [("", (), URL), ("s:1", ("",), URL), ("s:1", (), "/relative"), ("s:1", (), "ftp://x/y")],
)
def test_bad_values_are_refused(origin: str, path: tuple[str, ...], url: str) -> None:
    with pytest.raises(MarkerError):
        marker_html(OriginMarker(origin, path), url, "")


def test_visited_names_the_path() -> None:
    assert MARKER.visited("tinh_kon_tum") and not MARKER.visited("xa")
