"""Source keys: one identity per remote document, whatever form its URL takes."""

from __future__ import annotations

import pytest

from connectors.urls import dnn_key, normalize_key


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("http://Site.gov.vn/tin-tuc/a/", "https://site.gov.vn/tin-tuc/a"),
        ("https://site.gov.vn:443/x?b=2&a=1", "https://site.gov.vn/x?a=1&b=2"),
        ("https://site.gov.vn/x?utm_source=fb&id=3#top", "https://site.gov.vn/x?id=3"),
        ("https://site.gov.vn/x?fbclid=abc", "https://site.gov.vn/x"),
    ],
)
def test_same_document_same_key(a: str, b: str) -> None:
    assert normalize_key(a) == normalize_key(b)


def test_guids_are_only_trimmed() -> None:
    assert normalize_key("  urn:uuid:1234 ") == "urn:uuid:1234"


def test_different_documents_differ() -> None:
    assert normalize_key("https://s.vn/x?id=1") != normalize_key("https://s.vn/x?id=2")
    assert normalize_key("https://s.vn:8080/x") != normalize_key("https://s.vn/x")


@pytest.mark.parametrize(
    "url",
    [
        "https://s.vn/tin-tuc/ArticleId/123/hop-ban-chi-dao",
        "https://s.vn/tin-tuc/ArticleId/123/hop-ban-chi-dao-nam-2025/",
        "http://S.VN/tin-tuc/articleid/123",
    ],
)
def test_dnn_key_ignores_the_title_slug(url: str) -> None:
    assert dnn_key(url) == "https://s.vn/tin-tuc/articleid/123"


def test_dnn_key_keeps_other_pages() -> None:
    assert dnn_key("https://s.vn/tin-tuc/ArticleId/12/a") != dnn_key(
        "https://s.vn/tin-tuc/ArticleId/13/a"
    )
    assert dnn_key("https://s.vn/gioi-thieu/lich-su") == "https://s.vn/gioi-thieu/lich-su"
    assert dnn_key("https://s.vn/blog/Post/7/tieu-de") == "https://s.vn/blog/post/7"
