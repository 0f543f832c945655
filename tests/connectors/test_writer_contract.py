"""One contract, every writer: the simulator's MetaWeblog endpoint and a real WordPress.

The contract: a copy is reserved, given its media (uploaded once, looked up by hash before
any upload, links rewritten) and filled; a caller that died between the remote create and
its own record finds the copy again by its origin marker; the marker survives the target's
own HTML handling and syncd's sanitiser; edits, unpublishing and deletion reach the copy;
unknown categories are refused and never created; the publication date is kept; refused
credentials and refused content are domain errors with one-line messages.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from connectors.htmltree import parse_fragment
from connectors.http import HttpClient
from connectors.metaweblog_writer import MetaWeblogTarget, MetaWeblogWriter
from connectors.model import Media
from connectors.origin_marker import OriginMarker, find_marker, strip_marker
from connectors.sanitize import html_text, sanitize_html
from connectors.wordpress_writer import WordPressTarget, WordPressWriter
from connectors.writer import OutgoingPost, RemoteRef, Writer, upload_media
from connectors.writer_errors import (
    CopyMissing,
    CredentialsRefused,
    OutcomeUnknown,
    PostRejected,
    UnknownCategories,
)
from syncd.simulator import FaultKind, SimulatedSite
from syncd.simulator.metaweblog import VOCABULARY
from tests.support.wordpress import CATEGORIES, WordPressSite, running_wordpress

ORIGIN = "https://huyen.example.gov.vn"


def png(red: int, green: int, blue: int) -> bytes:
    """A valid 1x1 PNG (WordPress checks that an image really is one)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(bytes([0, red, green, blue]))
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


PHOTO = Media(f"{ORIGIN}/Portals/0/anh-hop-dan.png", "image/png", png(200, 30, 30), "ảnh họp.png")
CHART = Media(f"{ORIGIN}/Portals/0/bieu-do.png", "image/png", png(30, 200, 30), "biểu đồ.png")
REPORT = Media(f"{ORIGIN}/Portals/0/bao-cao.pdf", "application/pdf",
               b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", "báo cáo.pdf")  # fmt: skip
BODY = (
    "<p>Sáng nay, huyện tổ chức hội nghị về chuyển đổi số.</p>"
    f'<p><img src="{PHOTO.url}" alt="Hội nghị"></p>'
    "<p>Kết quả trong biểu đồ và báo cáo kèm theo.</p>"
    f'<p><img src="{CHART.url}" alt="Biểu đồ"> <img src="{PHOTO.url}" alt="Lại ảnh"></p>'
    f'<p><a href="{REPORT.url}">Báo cáo đầy đủ</a></p>'
    "<script>alert(1)</script>"
)
PUBLISHED = datetime(2024, 3, 1, 2, 3, 4, tzinfo=UTC)


@dataclass
class Target:
    """One writer under contract, and how to build another one for the same target."""

    name: str
    writer: Writer
    category: str
    other_category: str
    http: HttpClient
    restart: Callable[[str | None], Writer]  # a new writer, optionally with this password

    def fresh(self, password: str | None = None) -> Writer:
        """A new writer with nothing remembered (a restarted process)."""
        return self.restart(password)


@pytest.fixture(scope="module")
def wordpress() -> Iterator[WordPressSite]:
    with running_wordpress() as running:
        yield running


@pytest.fixture(params=["metaweblog", "wordpress"])
async def target(request: pytest.FixtureRequest, http: HttpClient) -> AsyncIterator[Target]:
    if request.param == "metaweblog":
        async with SimulatedSite(seed=5, articles=3, images=1, documents=1, blog_posts=4) as site:
            settings = MetaWeblogTarget(
                endpoint=site.metaweblog_url,
                base_url=site.base_url,
                username="editor",
                password="editor-password",
                timezone=timezone(timedelta(hours=site.config.utc_offset_hours)),
                allow_private=True,
            )

            def metaweblog(password: str | None) -> Writer:
                return MetaWeblogWriter(
                    replace(settings, password=password or settings.password), http
                )

            yield Target("metaweblog", metaweblog(None), VOCABULARY[0], VOCABULARY[1], http,
                         metaweblog)  # fmt: skip
        return
    wp: WordPressSite = request.getfixturevalue("wordpress")
    wp_settings = WordPressTarget(wp.api_root, wp.username, wp.app_password, allow_private=True)

    def wordpress(password: str | None) -> Writer:
        changed = replace(wp_settings, app_password=password or wp_settings.app_password)
        return WordPressWriter(changed, http)

    yield Target("wordpress", wordpress(None), CATEGORIES[0], CATEGORIES[1], http, wordpress)


_counter = iter(range(1, 1_000_000))


def outgoing(**changes: object) -> OutgoingPost:
    number = next(_counter)
    post = OutgoingPost(
        title=f"Hội nghị chuyển đổi số lần {number}",
        body_html=BODY,
        marker=OriginMarker(f"huyen:{number}", ("huyen", "tinh")),
        origin_url=f"{ORIGIN}/tin-tuc/ArticleId/{number}/hoi-nghi",
        published=PUBLISHED,
        attribution="Nguồn: Cổng thông tin huyện",
    )
    return replace(post, **changes)  # type: ignore[arg-type]


async def deliver(writer: Writer, post: OutgoingPost) -> tuple[RemoteRef, OutgoingPost]:
    ref = await writer.reserve(post)
    filled = await upload_media(writer, ref, post, (PHOTO, CHART, REPORT))
    await writer.update(ref, filled)
    return ref, filled


def links(html: str) -> tuple[list[str], list[str]]:
    root = parse_fragment(html)
    return [i.get("src") or "" for i in root.iter("img")], [
        a.get("href") or "" for a in root.iter("a")
    ]


async def test_a_copy_carries_everything(target: Target) -> None:
    post = outgoing(categories=(target.category,))
    ref, _ = await deliver(target.writer, post)
    copy = await target.writer.get(ref)
    assert copy is not None
    assert copy.title == post.title
    assert copy.status == "published"
    assert copy.published == PUBLISHED
    assert copy.categories == (target.category,)
    assert copy.marker == post.marker
    images, anchors = links(copy.body_html)
    assert len(images) == 3 and not any(src.startswith(ORIGIN) for src in images)
    assert images[0] == images[2] != images[1]  # the same photo twice is one upload
    for url, media in ((images[0], PHOTO), (images[1], CHART)):
        assert (await target.http.get(url, allow_private=True)).body == media.data
    report = next(href for href in anchors if "syncd-origin" not in href)
    assert (await target.http.get(report, allow_private=True)).body == REPORT.data
    # the text is the origin's (the script is gone or inert, nothing else lost)
    assert "Kết quả trong biểu đồ" in html_text(strip_marker(copy.body_html))


async def test_media_are_looked_up_before_upload(target: Target) -> None:
    post = outgoing()
    ref, _ = await deliver(target.writer, post)
    copy = await target.writer.get(ref)
    assert copy is not None
    restarted = target.fresh()  # nothing remembered: the lookup happens on the target
    assert await restarted.upload_media(ref, PHOTO) == links(copy.body_html)[0][0]


async def test_marker_survives_the_target_and_syncd_sanitiser(target: Target) -> None:
    post = outgoing()
    ref, _ = await deliver(target.writer, post)
    copy = await target.writer.get(ref)
    assert copy is not None
    assert find_marker(copy.body_html) == post.marker
    assert find_marker(sanitize_html(copy.body_html, "https://target.example/")) == post.marker


async def test_a_crash_after_the_remote_create_finds_the_copy(target: Target) -> None:
    post = outgoing()
    ref = await target.writer.reserve(post)  # ... and the process dies before recording ref
    for _ in range(11):  # other deliveries go on meanwhile, more than getRecentPosts shows
        await deliver(target.writer, outgoing())
    restarted = target.fresh()
    found = await restarted.find_copy(post.marker)
    assert found is not None and found.id == ref.id
    assert await restarted.find_copy(OriginMarker("huyen:never-sent")) is None
    filled = await upload_media(restarted, found, post, (PHOTO, CHART, REPORT))
    await restarted.update(found, filled)
    copy = await restarted.get(found)
    assert copy is not None and copy.marker == post.marker and copy.status == "published"


async def test_a_marker_with_another_path_is_the_same_copy(target: Target) -> None:
    post = outgoing()
    ref = await target.writer.reserve(post)
    other_route = replace(post.marker, path=("huyen", "xa"))
    found = await target.writer.find_copy(other_route)
    assert found is not None and found.id == ref.id


async def test_an_edit_reaches_the_copy(target: Target) -> None:
    post = outgoing(categories=(target.category,))
    ref, filled = await deliver(target.writer, post)
    edited = replace(filled, title=post.title + " (cập nhật)",
                     body_html=filled.body_html.replace("Sáng nay", "Chiều nay"),
                     categories=(target.other_category,))  # fmt: skip
    await target.writer.update(ref, edited)
    copy = await target.writer.get(ref)
    assert copy is not None
    assert copy.title == edited.title and "Chiều nay" in copy.body_html
    assert copy.categories == (target.other_category,)
    assert copy.published == PUBLISHED


async def test_unpublish_then_delete(target: Target) -> None:
    post = outgoing()
    ref, _ = await deliver(target.writer, post)
    await target.writer.unpublish(ref)
    copy = await target.writer.get(ref)
    assert copy is not None and copy.status == "draft" and copy.marker == post.marker
    await target.writer.delete(ref)
    assert await target.writer.get(ref) is None
    await target.writer.delete(ref)  # already gone: not an error
    with pytest.raises(CopyMissing):
        await target.writer.update(ref, post)


async def test_unknown_category_is_refused_not_invented(target: Target) -> None:
    post = outgoing()
    ref = await target.writer.reserve(post)
    with pytest.raises(UnknownCategories) as caught:
        await target.writer.update(ref, replace(post, categories=("Danh mục không có",)))
    assert caught.value.missing == ("Danh mục không có",)
    assert "Danh mục không có" not in await target.writer.list_categories()
    copy = await target.writer.get(ref)
    assert copy is not None and copy.status == "draft"  # nothing was written


async def test_refused_credentials_are_one_line(target: Target) -> None:
    refused = target.fresh("sai-mat-khau")
    with pytest.raises(CredentialsRefused) as caught:
        await refused.find_copy(OriginMarker("huyen:1"))
    assert "\n" not in str(caught.value) and str(caught.value)
    with pytest.raises(CredentialsRefused):
        await refused.reserve(outgoing())


async def test_a_refused_file_is_one_line(target: Target) -> None:
    ref = await target.writer.reserve(outgoing())
    program = Media(f"{ORIGIN}/Portals/0/setup.exe", "application/x-msdownload",
                    b"MZ\x90\x00" + bytes(200), "setup.exe")  # fmt: skip
    with pytest.raises(PostRejected) as caught:
        await target.writer.upload_media(ref, program)
    assert "\n" not in str(caught.value)


async def test_a_fault_after_the_save_is_an_unknown_outcome(http: HttpClient) -> None:
    """The DNN Blog stores a new post before the steps that can still fail: the writer
    must not read a newPost fault as "nothing was created"."""
    async with SimulatedSite(seed=6, articles=2, images=0, documents=0, blog_posts=2) as site:
        settings = MetaWeblogTarget(site.metaweblog_url, site.base_url, "editor",
                                    "editor-password", UTC, allow_private=True)  # fmt: skip
        writer = MetaWeblogWriter(settings, http)
        post = outgoing()
        site.add_fault(FaultKind.SAVE_THEN_FAULT, paths=("/DesktopModules/Blog/",))
        with pytest.raises(OutcomeUnknown):
            await writer.reserve(post)
        site.clear_faults()
        found = await writer.find_copy(post.marker)
        assert found is not None
        stored = [p for p in site.blog_posts(include_drafts=True) if find_marker(p.body_html)]
        assert [int(found.id)] == [p.article_id for p in stored]
