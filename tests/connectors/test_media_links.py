"""Rewriting a body's media links to uploaded copies (pure)."""

from __future__ import annotations

from connectors.media_links import rewrite_media

BODY = (
    '<p>Ảnh <img src="https://a.example/1.png" alt="một"> và '
    '<a href="https://a.example/bc.pdf">báo cáo</a>, '
    '<a href="https://a.example/trang">trang khác</a></p>'
)


def test_images_and_documents_point_at_the_copies() -> None:
    out = rewrite_media(
        BODY, {"https://a.example/1.png": "https://t/u/1.png", "https://a.example/bc.pdf": "/f.pdf"}
    )
    assert 'src="https://t/u/1.png"' in out and 'href="/f.pdf"' in out
    assert 'href="https://a.example/trang"' in out  # not uploaded: left alone
    assert "Ảnh" in out and 'alt="một"' in out


def test_nothing_to_rewrite_leaves_the_text_untouched() -> None:
    assert rewrite_media(BODY, {}) is BODY
    assert rewrite_media(BODY, {"https://elsewhere/x.png": "y"}) is BODY


def test_url_in_text_only_is_not_a_link() -> None:
    body = "<p>https://a.example/1.png</p>"
    assert rewrite_media(body, {"https://a.example/1.png": "https://t/1.png"}) == body
