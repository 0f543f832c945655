"""Article extraction from DNN pages, sanitising, media references, CSS selectors."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import lxml.html
import pytest

from connectors.errors import OptionsError, ParseError
from connectors.extract import extract_article, parse_page_date
from connectors.model import MediaRef
from connectors.sanitize import collect_media, html_text, sanitize_html
from connectors.selectors import compile_selector, select
from connectors.text import encode_cp1258

PAGE = """<!DOCTYPE html><html lang="vi-VN"><head>
<meta http-equiv="Content-Type" content="text/html; charset=windows-1258"/>
<title>Tiêu đề - Cổng</title><link rel="canonical" href="/tin-tuc/ArticleId/7/tieu-de"/></head>
<body><div id="dnn_ContentPane">
<div class="DnnModule DnnModule-EasyDNNnews DnnModule-412"><div class="edn_article">
<h1 class="edn_articleTitle">Tiêu đề bài viết</h1>
<div class="edn_metaDetails"><time datetime="2025-05-05T02:30:00+00:00">05/05/2025 09:30</time>
<span class="edn_articleCategory">Tin tức</span><span class="edn_author">Ban biên tập</span></div>
<div class="edn_article_content Normal"><p onclick="steal()">Nội dung <b>chính</b></p>
<script>alert(1)</script><style>p{color:red}</style>
<img src="../../Portals/0/anh.jpg" alt="Ảnh" onerror="x()">
<p><a href="/Portals/0/Van%20ban/quyet-dinh.pdf">Quyết định</a>
<a href="/LinkClick.aspx?fileticket=AbC%3d&amp;tabid=56">Báo cáo.docx</a>
<a href="javascript:alert(2)">xấu</a> <a href="/gioi-thieu">Giới thiệu</a></p></div>
</div></div></div>
<div class="DnnModule"><div class="Normal">Chân trang</div></div></body></html>"""

URL = "https://dakha.gov.vn/tin-tuc/ArticleId/7/tieu-de"


def test_extracts_easydnn_article_from_windows_1258_page() -> None:
    page = extract_article(encode_cp1258(PAGE), URL, charset=None)
    assert page.title == "Tiêu đề bài viết"
    assert page.canonical == URL
    assert page.published == datetime(2025, 5, 5, 2, 30, tzinfo=UTC)
    assert page.author == "Ban biên tập"
    assert page.categories == ("Tin tức",)
    body = page.body_html
    assert "<script" not in body and "<style" not in body and "onclick" not in body
    assert "onerror" not in body and "javascript:" not in body
    assert '<img src="https://dakha.gov.vn/tin-tuc/Portals/0/anh.jpg" alt="Ảnh">' in body
    assert 'href="https://dakha.gov.vn/gioi-thieu"' in body
    assert html_text(body).startswith("Nội dung chính")
    assert "Chân trang" not in body
    assert page.media == (
        MediaRef("https://dakha.gov.vn/tin-tuc/Portals/0/anh.jpg", "image", "anh.jpg"),
        MediaRef("https://dakha.gov.vn/Portals/0/Van%20ban/quyet-dinh.pdf", "document",
                 "quyet-dinh.pdf"),
        MediaRef("https://dakha.gov.vn/LinkClick.aspx?fileticket=AbC%3d&tabid=56", "document",
                 "Báo cáo.docx"),
    )  # fmt: skip


def test_custom_selector_and_title_fallback() -> None:
    html = b"""<html><head><title>Trang</title></head><body>
    <div id="main"><div class="bai"><p>Mot</p></div><div class="bai"><p>Hai hai hai</p></div></div>
    </body></html>"""
    page = extract_article(html, "https://x.vn/p", selector="#main > div.bai")
    assert page.body_html == "<p>Hai hai hai</p>"  # the longest of several matches
    assert page.title == "Trang"
    with pytest.raises(ParseError, match=r"no element matches \.nothing"):
        extract_article(html, "https://x.vn/p", selector=".nothing")


def test_default_falls_back_to_dnn_normal_module() -> None:
    html = """<html><body><div id="dnn_ContentPane">
    <div class="DnnModule"><div class="Normal"><p>Ngắn</p></div></div>
    <div class="DnnModule"><div class="Normal"><h1>Giới thiệu</h1><p>Nội dung dài hơn</p></div>
    </div></div></body></html>"""
    page = extract_article(html.encode(), "https://x.vn/gioi-thieu")
    assert page.title == "Giới thiệu"
    assert page.body_html == "<p>Nội dung dài hơn</p>"


def test_empty_page_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="empty page"):
        extract_article(b"  ", "https://x.vn/")


def test_page_without_any_element_is_a_parse_error() -> None:
    # lxml finds no root in a page of nothing but a comment: a clear error, not a crash
    with pytest.raises(ParseError, match="no HTML element"):
        extract_article(b"<!-- trang tr\xe1\xbb\x91ng -->", "https://x.vn/")


def test_sanitize_keeps_structure_and_absolutises() -> None:
    html = (
        '<h2>A</h2><table><tr><td colspan="2" style="x">1</td></tr></table>'
        '<ul><li>b</li></ul><iframe src="https://evil"></iframe><a href="x.pdf">d</a>'
    )
    out = sanitize_html(html, "https://x.vn/dir/page")
    assert out == ('<h2>A</h2><table><tbody><tr><td colspan="2">1</td></tr></tbody></table>'
                   '<ul><li>b</li></ul><a href="https://x.vn/dir/x.pdf">d</a>')  # fmt: skip
    assert collect_media(out) == (MediaRef("https://x.vn/dir/x.pdf", "document", "x.pdf"),)


def test_page_dates() -> None:
    assert parse_page_date("05/05/2025 09:30") == datetime(2025, 5, 5, 2, 30, tzinfo=UTC)
    assert parse_page_date("Ngày 1/2/2025") == datetime(2025, 1, 31, 17, tzinfo=UTC)
    assert parse_page_date("31/02/2025") is None
    assert parse_page_date("") is None


def test_selectors_css_and_xpath() -> None:
    root = lxml.html.document_fromstring(
        '<html><body><div class="a x" id="b"><p><span>1</span></p><a href="/">2</a></div>'
        '<DIV class="ab"><span>3</span><em><span>4</span></em></DIV></body></html>'
    )

    def texts(selector: str) -> list[str]:
        return [e.text_content() for e in select(root, selector)]

    assert texts("div.a#b") == ["12"]
    assert texts("a[href], p > span") == ["1", "2"]  # document order across alternatives
    assert texts("DIV.ab > span") == ["3"]  # HTML rules: tag names ignore case
    assert texts("div:not(.a) span:nth-child(1)") == ["3", "4"]
    assert texts("//div[@id='b']//span") == ["1"]
    assert texts("(//span)[last()]") == ["4"]
    assert texts("//a/@href | //em") == ["4"]  # only elements come back
    for bad in ("div >", "> p", "a::before", "div,,p", "p[", "//div["):
        with pytest.raises(OptionsError, match=r"^content_selector: invalid .*" + re.escape(bad)):
            compile_selector(bad)
