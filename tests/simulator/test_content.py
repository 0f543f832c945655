"""Content generation: deterministic from the seed, Vietnamese, with real-looking files."""

from __future__ import annotations

import unicodedata

import pytest

from syncd.simulator import SimConfigError, SimulatedSite, SiteConfig
from syncd.simulator.encoding import decode_cp1258, encode_cp1258
from syncd.simulator.phrases import slugify


def snapshot(site: SimulatedSite) -> list[tuple[object, ...]]:
    site.state.base_url = "http://sim"  # resolve absolute links without a server
    return [
        (a.article_id, a.title, a.path, a.summary, a.body_html, a.published, a.image_paths)
        for a in site.articles()
    ]


def test_same_seed_same_content_different_seed_different() -> None:
    one = SimulatedSite(seed=5, articles=30, images=6, documents=3)
    two = SimulatedSite(seed=5, articles=30, images=6, documents=3)
    other = SimulatedSite(seed=6, articles=30, images=6, documents=3)
    assert snapshot(one) == snapshot(two)
    assert snapshot(one) != snapshot(other)
    assert [m.data() for m in one.media()] == [m.data() for m in two.media()]


def test_counts_and_files_follow_the_parameters() -> None:
    site = SimulatedSite(seed=2, articles=120, images=25, documents=9)
    site.state.base_url = "http://sim"
    articles = site.articles()
    assert len(articles) == 120
    assert sum(len(a.image_paths) for a in articles) == 25
    assert sum(len(a.document_paths) for a in articles) == 9
    images = [m for m in site.media() if m.path.startswith("/Portals/0/Images/")]
    documents = [m for m in site.media() if m.path.startswith("/Portals/0/Documents/")]
    assert len(images) == 25 and len(documents) == 9
    assert all(m.data().startswith(b"\xff\xd8\xff") for m in images)
    for doc in documents:
        magic = b"%PDF-" if doc.path.endswith(".pdf") else b"\xd0\xcf\x11\xe0"
        assert doc.data().startswith(magic)
        assert len(doc.data()) == doc.size


def test_articles_are_vietnamese_with_categories() -> None:
    site = SimulatedSite(seed=3, articles=60)
    site.state.base_url = "http://sim"
    articles = site.articles()
    text = " ".join(a.title + a.body_html for a in articles)
    assert any(ch in text for ch in "ăâđêôơưạảấầẩẫậắằẳẵặ")
    assert text == unicodedata.normalize("NFC", text)
    assert {"Tin tức - Sự kiện", "Thông báo"} <= {a.category for a in articles}
    assert all(a.body_html.count("<p>") >= 3 for a in articles)
    assert all(a.published.tzinfo is not None for a in articles)


def test_slugs_drop_diacritics() -> None:
    assert slugify("Xã Đăk Ruồng tổ chức hội nghị") == "xa-dak-ruong-to-chuc-hoi-nghi"


def test_cp1258_holds_vietnamese_with_separate_tone_marks() -> None:
    text = "Cổng thông tin điện tử huyện Kon Rẫy – Đăk Ruồng"
    data = encode_cp1258(text)
    assert b"?" not in data
    assert decode_cp1258(data) == text
    # Tone marks are stored as combining characters (0xD2 = U+0309 hook above).
    assert "ổ".encode() not in data and b"\xf4\xd2" in data


def test_bad_configuration_names_the_field() -> None:
    with pytest.raises(SimConfigError, match="articles must not be negative"):
        SiteConfig(articles=-1)
    with pytest.raises(SimConfigError, match="sitemap_threshold"):
        SiteConfig(sitemap_threshold=0)


def test_large_site_is_cheap_until_read() -> None:
    site = SimulatedSite(seed=9, articles=2000, images=300, documents=100)
    # Building the site generates no article; the newest few are generated on demand.
    assert len(site.state.news._cache) == 0
    newest = site.state.news.newest(20)
    assert [a.article_id for a in newest] == list(range(2000, 1980, -1))
    assert len(site.state.news._cache) == 20
