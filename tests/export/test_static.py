"""The static copy: every link resolves, media byte-exact, Vietnamese intact, as-of honoured."""

from __future__ import annotations

import hashlib
from pathlib import Path

import lxml.html
import pytest
from sqlalchemy import delete

from syncd.errors import BlobMissing
from syncd.export import OutputNotEmpty, export_site, parse_as_of
from syncd.export.links import LinkMap, rewrite_links
from syncd.export.names import media_extension, slugify
from syncd.store import schema as t
from syncd.store.store import Store
from tests.export.sample import AS_OF, PDF, PHRASE, PNG, TITLE_OLD, check_links, populate


def _staging_leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.endswith(".partial")]


def _page_titles(root: Path) -> dict[str, Path]:
    found = {}
    for page in (root / "articles").glob("*.html"):
        tree = lxml.html.fromstring(page.read_bytes())
        found[tree.findtext(".//h1")] = page
    return found


async def test_static_export_as_of(store: Store, tmp_path: Path) -> None:
    sample = await populate(store)
    out = tmp_path / "copy"
    result = await export_site(store, "konray", as_of=parse_as_of(AS_OF), fmt="static", out=out)
    assert (result.articles, result.media, result.missing_media) == (len(sample.kept), 2, 1)
    assert result.bytes == sum(p.stat().st_size for p in out.rglob("*") if p.is_file())

    pages, reached = check_links(out)
    assert pages > len(sample.kept)  # articles plus index, category and month pages
    titles = _page_titles(out)
    assert set(titles) == set(sample.kept.values())
    assert not set(titles) & {t for t in sample.hidden.values() if t not in sample.kept.values()}
    # every article is reachable from the listings
    assert set(titles.values()) <= reached

    # media: written once, named by hash, byte-exact
    media = {p.name: p.read_bytes() for p in (out / "media").iterdir()}
    assert media == {
        hashlib.sha256(PNG).hexdigest() + ".png": PNG,
        hashlib.sha256(PDF).hexdigest() + ".pdf": PDF,
    }

    meeting = lxml.html.fromstring(titles[TITLE_OLD].read_bytes())
    assert meeting.get("lang") == "vi"
    text = meeting.text_content()
    assert PHRASE in text and "Văn phòng HĐND-UBND" in text
    links = {a.text_content(): a.get("href") for a in meeting.iter("a")}
    assert links["Cổng Chính phủ"] == "https://chinhphu.vn/"  # not mirrored: stays absolute
    assert links["liên hệ"] == "https://konray.example/lien-he"
    assert links["phụ lục"] == sample.missing_media_url  # missing file: original kept
    assert links["lịch tiếp dân"].endswith(".html#lich")  # another URL shape of article 2
    assert links["Báo cáo tổng kết.pdf"].startswith("../media/")
    assert "../media/" in meeting.xpath("string(.//img/@src)")
    assert "https://konray.example/tin-tuc/ArticleId/1/hoi-nghi-tong-ket" in text  # the source
    assert "Tin tức" in text and "Chính trị" in text

    # listings: paginated index, a page per category and per month
    index = (out / "index.html").read_text(encoding="utf-8")
    assert '<meta charset="utf-8">' in index and "index-2.html" in index
    assert (out / "2026" / "01" / "index.html").is_file()
    assert (out / "2025" / "12" / "index.html").is_file()
    archive = lxml.html.fromstring((out / "archive.html").read_bytes())
    assert "Tin địa phương" in archive.text_content()
    assert _staging_leftovers(tmp_path) == []


async def test_export_now_shows_edits_and_drops_deleted(store: Store, tmp_path: Path) -> None:
    await populate(store, filler=0)
    await export_site(store, "konray", as_of=None, fmt="static", out=tmp_path / "now")
    titles = set(_page_titles(tmp_path / "now"))
    assert titles == {
        "Hội nghị tổng kết công tác năm 2025 (đã cập nhật)",
        "Tin mới tháng Hai",
    }
    check_links(tmp_path / "now")


async def test_failed_export_leaves_nothing(store: Store, tmp_path: Path) -> None:
    await populate(store, filler=2)
    # lose one article's document blob: the export must fail as a whole
    sha = await _first_document_sha(store)
    async with store.engine.begin() as conn:
        await conn.execute(delete(t.documents).where(t.documents.c.sha == sha))
    out = tmp_path / "copy"
    with pytest.raises(BlobMissing):
        await export_site(store, "konray", as_of=None, fmt="static", out=out)
    assert not out.exists()
    assert _staging_leftovers(tmp_path) == []


async def _first_document_sha(store: Store) -> str:
    item = await store.find_item(
        "konray:https://konray.example/tin-tuc/ArticleId/4/tin-moi-thang-hai"
    )
    (revision,) = await store.history(item.id)
    assert revision.content_sha
    return revision.content_sha


async def test_output_must_be_empty(store: Store, tmp_path: Path) -> None:
    out = tmp_path / "busy"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    with pytest.raises(OutputNotEmpty, match="busy exists and is not empty"):
        await export_site(store, "konray", as_of=None, fmt="static", out=out)
    assert (out / "keep.txt").read_text() == "x"
    empty = tmp_path / "empty"
    empty.mkdir()
    result = await export_site(store, "konray", as_of=None, fmt="static", out=empty)
    assert result.articles == 0 and (empty / "index.html").is_file()


def test_names_and_links() -> None:
    assert (
        slugify("Hội nghị Đảng bộ xã Đăk Ruồng lần thứ XV")
        == "hoi-nghi-dang-bo-xa-dak-ruong-lan-thu-xv"
    )
    assert slugify("!!!") == ""
    assert media_extension("image/jpeg", None, "https://x/a") == ".jpg"
    assert media_extension("application/octet-stream", "Quyết định.PDF", "https://x/b") == ".pdf"
    assert media_extension(None, None, "https://x/LinkClick.aspx?fileticket=1") == ".bin"
    links = LinkMap()
    links.add_article(["https://a.example/tin-tuc/ArticleId/7/x"], "articles/7-x.html")
    body = (
        '<p>Ý kiến <a href="http://A.example/tabid/56/ArticleId/7/y.aspx#c">đây</a> '
        '<a href="https://b.example/">khác</a></p>'
    )
    rewritten = rewrite_links(body, links.resolver("articles/9-z.html"))
    assert rewritten == (
        '<p>Ý kiến <a href="7-x.html#c">đây</a> <a href="https://b.example/">khác</a></p>'
    )
    assert rewrite_links(body, lambda _url: None) == body
