"""A small site in the store with a known history, and a checker for an exported folder."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

import lxml.html

from syncd.store.store import Store

BASE = "https://konray.example"
AS_OF = "2026-02-01"  # the day the sample is looked at "as of"

# one PNG pixel and a tiny PDF: real bytes, compared byte for byte after export
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
PDF = b"%PDF-1.4\n% Bao cao tong ket\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

TITLE_OLD = "Hội nghị tổng kết công tác năm 2025 của Huyện Kon Rẫy"
TITLE_NEW = "Hội nghị tổng kết công tác năm 2025 (đã cập nhật)"
PHRASE = "Đồng chí Bí thư Huyện ủy phát biểu chỉ đạo hội nghị."


def at(day: str, hour: int = 9) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def url(article_id: int, slug: str) -> str:
    return f"{BASE}/tin-tuc/ArticleId/{article_id}/{slug}"


@dataclass
class Sample:
    """What the sample holds, so tests can say what an export must (not) contain."""

    kept: dict[str, str] = field(default_factory=dict)  # url -> title expected as of AS_OF
    hidden: dict[str, str] = field(default_factory=dict)  # url -> title not expected then
    media: dict[str, bytes] = field(default_factory=dict)  # media url -> bytes
    missing_media_url: str = ""
    filler: int = 0


async def populate(store: Store, filler: int = 23) -> Sample:
    sample = Sample(filler=filler)
    image_url = f"{BASE}/Portals/0/Images/2026/hoi-nghi.png"
    pdf_url = f"{BASE}/LinkClick.aspx?fileticket=abc123&tabid=56"
    lost_url = f"{BASE}/Portals/0/Files/mat.docx"
    png_sha = await store.put_blob(PNG, "image/png")
    pdf_sha = await store.put_blob(PDF, "application/pdf")
    sample.media = {image_url: PNG, pdf_url: PDF}
    sample.missing_media_url = lost_url

    notice = url(2, "thong-bao-lich-tiep-cong-dan")
    body = (
        f"<p>{PHRASE}</p>"
        f'<p><img src="{image_url}" alt="Toàn cảnh hội nghị"></p>'
        f'<p>Xem <a href="{pdf_url}">Báo cáo tổng kết.pdf</a> và '
        f'<a href="{BASE}/Default.aspx?tabid=56&amp;ArticleId=2#lich">lịch tiếp dân</a>, '
        f'<a href="{lost_url}">phụ lục</a>, '
        f'<a href="https://chinhphu.vn/">Cổng Chính phủ</a>, '
        f'<a href="{BASE}/lien-he">liên hệ</a>.</p>'
    )
    media = [
        {"url": image_url, "kind": "image", "filename": "hoi-nghi.png", "sha": png_sha},
        {"url": pdf_url, "kind": "document", "filename": "Báo cáo tổng kết.pdf", "sha": pdf_sha},
        {"url": lost_url, "kind": "document", "filename": "mat.docx", "sha": None},
    ]

    def document(link: str, title: str, text: str, **extra: object) -> dict[str, object]:
        return {
            "kind": "article",
            "url": link,
            "title": title,
            "body": text,
            "summary": text[:60],
            "author": "Văn phòng HĐND-UBND",
            "categories": ["Tin tức", "Chính trị"],
            "published": None,
            "updated": None,
            "media": [],
            **extra,
        }

    meeting = url(1, "hoi-nghi-tong-ket")
    await store.record(
        "konray",
        meeting,
        document(meeting, TITLE_OLD, body, media=media, published="2026-01-10T02:00:00+00:00"),
        url=meeting,
        media=[png_sha, pdf_sha],
        at=at("2026-01-10"),
    )
    # edited after the date: the export as of AS_OF shows the old title
    await store.record(
        "konray",
        meeting,
        document(meeting, TITLE_NEW, body, media=media, published="2026-01-10T02:00:00+00:00"),
        url=meeting,
        media=[png_sha, pdf_sha],
        at=at("2026-03-05"),
    )
    sample.kept[meeting] = TITLE_OLD
    sample.hidden[meeting] = TITLE_NEW

    # deleted after the date: shown as of AS_OF
    await store.record(
        "konray",
        notice,
        document(
            notice,
            "Thông báo lịch tiếp công dân tháng 1",
            "<p id='lich'>Thứ Năm</p>",
            categories=["Thông báo"],
        ),
        url=notice,
        at=at("2026-01-15"),
    )
    await store.tombstone("konray", notice, at=at("2026-03-01"))
    sample.kept[notice] = "Thông báo lịch tiếp công dân tháng 1"

    # deleted before the date: not shown
    gone = url(3, "tin-da-go")
    await store.record(
        "konray",
        gone,
        document(gone, "Tin đã gỡ xuống", "<p>Gỡ.</p>"),
        url=gone,
        at=at("2026-01-05"),
    )
    await store.tombstone("konray", gone, at=at("2026-01-20"))
    sample.hidden[gone] = "Tin đã gỡ xuống"

    # created after the date: not shown
    later = url(4, "tin-moi-thang-hai")
    await store.record(
        "konray",
        later,
        document(later, "Tin mới tháng Hai", "<p>Sau.</p>"),
        url=later,
        at=at("2026-02-10"),
    )
    sample.hidden[later] = "Tin mới tháng Hai"

    # enough ordinary articles for more than one index page
    for n in range(filler):
        link = url(100 + n, f"tin-so-{n}")
        title = f"Tin ngắn số {n}: Xã Đăk Ruồng ra quân dọn vệ sinh"
        await store.record(
            "konray",
            link,
            document(
                link,
                title,
                f"<p>Nội dung {n}.</p>",
                categories=["Tin địa phương"],
                published=f"2025-12-{1 + n % 28:02d}T01:00:00+00:00",
            ),
            url=link,
            at=at("2025-12-29"),
        )
        sample.kept[link] = title
    return sample


def local_links(page: Path) -> list[str]:
    """Every relative href/src of a page (absolute and mailto links are not the export's)."""
    tree = lxml.html.fromstring(page.read_bytes())
    found = []
    for element in tree.iter("a", "img", "link"):
        value = element.get("src" if element.tag == "img" else "href")
        if value is None:
            continue
        parts = urlsplit(value)
        if parts.scheme or parts.netloc:
            continue
        found.append(value)
    return found


def check_links(root: Path) -> tuple[int, set[Path]]:
    """Resolve every relative link of every page; returns pages checked and files reached.
    Fails on the first link that names no file, or that leaves the export."""
    pages = sorted(root.rglob("*.html"))
    reached: set[Path] = set()
    for page in pages:
        folder = posixpath.dirname(page.relative_to(root).as_posix())
        for link in local_links(page):
            path = unquote(urlsplit(link).path)
            target = posixpath.normpath(posixpath.join(folder, path))
            assert not target.startswith(".."), f"{page}: {link} leaves the export"
            assert (root / target).is_file(), f"{page}: {link} -> {target} does not exist"
            reached.add(root / target)
    return len(pages), reached
