"""Media checks (pure): magic bytes against declared type, SVG made inert, URL schemes."""

from __future__ import annotations

import pytest

from connectors.schemes import is_safe_href, is_web_url, url_scheme
from connectors.sniff import check_media, inert, media_problem, sniff
from connectors.svg import sanitize_svg

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
HTML = b"\n <!DOCTYPE html><html><body><script>x()</script></body></html>"
SVG = (
    b'<?xml version="1.0"?>\n<!DOCTYPE svg [<!ENTITY e "boom">]>'
    b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
    b'onload="alert(1)" viewBox="0 0 8 8"><script>alert(2)</script>'
    b'<a href="javascript:alert(3)"><rect width="8" height="8"/></a>'
    b'<circle r="2" fill="url(#g)" onclick="x()" style="fill:url(https://evil.example/x)"/>'
    b'<rect width="1" height="1" fill="url(https://evil.example/p#a)"/>'
    b'<use xlink:href="https://evil.example/s.svg#x"/><use href="#g"/>'
    b'<foreignObject><div xmlns="http://www.w3.org/1999/xhtml">x</div></foreignObject>'
    b'<image href="https://evil.example/t.png"/>&e;</svg>'
)


@pytest.mark.parametrize(
    ("data", "found"),
    [
        (JPEG, "image/jpeg"), (PNG, "image/png"), (b"GIF89a\x01\x00", "image/gif"),
        (b"RIFF\x10\x00\x00\x00WEBPVP8 ", "image/webp"), (b"%PDF-1.7\n", "application/pdf"),
        (b"PK\x03\x04\x14\x00", "application/zip"), (HTML, "text/html"),
        (b"\xef\xbb\xbf<html><p>x", "text/html"), (b"<p>x</p>", "text/html"),
        (SVG, "image/svg+xml"), (b"<svg viewBox='0 0 1 1'/>", "image/svg+xml"),
        (b"plain words", None), (b"", None),
    ],
)  # fmt: skip
def test_sniff(data: bytes, found: str | None) -> None:
    assert sniff(data) == found


def test_an_html_page_is_never_an_image_or_a_file() -> None:
    assert media_problem("image", "image/jpeg", HTML) == "an HTML page, not an image"
    assert media_problem("image", "text/html; charset=utf-8", JPEG) == "an HTML page, not an image"
    assert media_problem("document", "application/pdf", HTML) == "an HTML page, not a file"
    assert media_problem("document", "application/pdf", b"%PDF-1.4") is None
    assert media_problem("document", "application/octet-stream", b"anything") is None


def test_an_image_needs_image_bytes_and_no_contrary_declaration() -> None:
    assert media_problem("image", "image/jpeg", JPEG) is None
    assert media_problem("image", "image/png", JPEG) is None  # both say image: kept
    assert media_problem("image", "application/octet-stream", PNG) is None
    assert media_problem("image", "image/jpeg", b"\x00garbage") == (
        "not an image (declared image/jpeg, content unknown)"
    )
    assert media_problem("image", "application/json", PNG) == (
        "not an image (declared application/json)"
    )


def test_check_media_keeps_types_and_cleans_svg() -> None:
    kept = check_media("image", "application/octet-stream", PNG)
    assert (kept.data, kept.content_type, kept.problem) == (PNG, "image/png", None)
    kept = check_media("image", "image/jpeg; charset=binary", JPEG)
    assert (kept.data, kept.content_type) == (JPEG, "image/jpeg; charset=binary")
    svg = check_media("image", "image/svg+xml", SVG)
    assert svg.problem is None and svg.content_type == "image/svg+xml"
    assert svg.data == sanitize_svg(SVG)
    broken = check_media("image", "image/svg+xml", b"<svg><unclosed")
    assert broken.problem == "an SVG file that cannot be read"
    assert check_media("image", "image/gif", HTML).problem == "an HTML page, not an image"


def test_svg_keeps_the_drawing_and_nothing_that_runs_or_loads() -> None:
    cleaned = sanitize_svg(SVG)
    assert cleaned is not None
    text = cleaned.decode()
    for gone in ("script", "onload", "onclick", "javascript", "evil.example", "foreignObject",
                 "style", "boom", "<image"):  # fmt: skip
        assert gone not in text, gone
    assert 'viewBox="0 0 8 8"' in text and 'fill="url(#g)"' in text and 'href="#g"' in text
    assert sanitize_svg(b"<html><body>x</body></html>") is None  # not a drawing at all


def test_inert_cleans_only_svg() -> None:
    assert inert(PNG, "image/png") == PNG
    assert inert(SVG, "image/svg+xml") == sanitize_svg(SVG)
    assert inert(SVG, "application/octet-stream") == sanitize_svg(SVG)  # by its bytes


@pytest.mark.parametrize(
    ("url", "scheme", "web", "safe"),
    [
        ("https://xa.example/a", "https", True, True), ("HTTP://xa.example", "http", True, True),
        ("javascript:alert(1)", "javascript", False, False),
        (" \x01JaVa\tScRiPt:alert(1)", "javascript", False, False),
        ("data:text/html,x", "data", False, False), ("vbscript:x", "vbscript", False, False),
        ("../media/a.png", None, False, True), ("index.html#top", None, False, True),
        ("http://[::1", "http", False, True), ("http:///no-host", "http", False, True),
    ],
)  # fmt: skip
def test_schemes(url: str, scheme: str | None, web: bool, safe: bool) -> None:
    assert (url_scheme(url), is_web_url(url), is_safe_href(url)) == (scheme, web, safe)
