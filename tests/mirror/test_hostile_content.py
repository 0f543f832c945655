"""A site serving hostile content, over real HTTP, mirrored beside a healthy simulated site:
deep nesting fails its own item only, mislabelled media and script-bearing SVG never land in
the store as they are, `javascript:` links are dropped, and the exports carry nothing that
runs."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import lxml.html
from aiohttp import web
from warcio.archiveiterator import ArchiveIterator

from connectors.urls import dnn_key
from syncd.config import parse_config
from syncd.export import export_site
from syncd.mirror.runner import Mirror
from syncd.simulator import SimulatedSite
from syncd.store.store import utcnow
from tests.mirror.conftest import MirrorFactory
from tests.support.served import served

DEPTH = 100_000  # the article: 1.1 MB of nested <div>
DEEP = "<div>" * DEPTH + "trong cùng" + "</div>" * DEPTH
SVG_WITH_SCRIPT = (
    b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)" viewBox="0 0 4 4">'
    b'<script>alert(2)</script><rect width="4" height="4" fill="#c00"/></svg>'
)
LOGIN_PAGE = b"<!DOCTYPE html><html><body><script>steal()</script>Dang nhap</body></html>"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + bytes(64)


def _page(title: str, body: str, head: str = "") -> str:
    return (
        f"<!DOCTYPE html><html><head><title>{title}</title>{head}</head><body>"
        '<div id="dnn_ContentPane"><div class="DnnModule"><div class="Normal">'
        f"<h1>{title}</h1>{body}</div></div></div></body></html>"
    )


def _feed(base: str) -> str:
    items = (
        "<item><guid isPermaLink='false'>tin-sau</guid><title>Tin lồng sâu</title>"
        f"<content:encoded><![CDATA[{DEEP}]]></content:encoded></item>"
        "<item><guid isPermaLink='false'>tin-js</guid><title>Tin có liên kết độc</title>"
        "<link>javascript:alert(document.cookie)</link>"
        "<content:encoded><![CDATA[<p>Nội dung bình thường.</p>]]></content:encoded>"
        '<enclosure url="javascript:alert(3)" type="image/jpeg" length="1"/></item>'
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
        f"<channel><title>Tin</title><link>{base}/</link>{items}</channel></rss>"
    )


class HostileSite:
    """A DNN-looking site whose sitemap and feed lead to each hostile case."""

    def __init__(self) -> None:
        self.base_url = ""
        self.pages: dict[str, str] = {}

    def url(self, path: str) -> str:
        return self.base_url + path

    def build(self) -> web.Application:
        self.pages = {
            "/tin-tuc/ArticleId/1/anh": _page(
                "Bài có ảnh",
                '<p>Ảnh thật <img src="/Portals/0/that.jpg"> ảnh giả '
                '<img src="/Portals/0/gia.jpg"> hình vẽ <img src="/Portals/0/hinh.svg"></p>',
            ),
            "/tin-tuc/ArticleId/2/canonical": _page(
                "Bài có canonical độc",
                "<p>Nội dung.</p>",
                '<link rel="canonical" href="javascript:alert(1)">',
            ),
            "/tin-tuc/ArticleId/3/sau": _page("Bài lồng sâu", DEEP),
        }
        files: dict[str, tuple[bytes, str]] = {
            "/Portals/0/that.jpg": (JPEG, "image/jpeg"),
            "/Portals/0/gia.jpg": (LOGIN_PAGE, "image/jpeg"),  # a page labelled as an image
            "/Portals/0/hinh.svg": (SVG_WITH_SCRIPT, "image/svg+xml"),
        }

        async def sitemap(_: web.Request) -> web.Response:
            urls = "".join(f"<url><loc>{self.url(path)}</loc></url>" for path in self.pages)
            xml = f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
            return web.Response(text=xml, content_type="application/xml")

        async def feed(_: web.Request) -> web.Response:
            return web.Response(text=_feed(self.base_url), content_type="application/rss+xml")

        async def page(request: web.Request) -> web.Response:
            return web.Response(text=self.pages[request.path], content_type="text/html")

        async def file(request: web.Request) -> web.Response:
            data, kind = files[request.path]
            return web.Response(body=data, content_type=kind)

        app = web.Application()
        app.router.add_get("/Sitemap.aspx", sitemap)
        app.router.add_get("/feed.xml", feed)
        for path in self.pages:
            app.router.add_get(path, page)
        for path in files:
            app.router.add_get(path, file)
        return app


@asynccontextmanager
async def hostile_site() -> AsyncIterator[HostileSite]:
    site = HostileSite()
    async with served(site.build()) as address:
        site.base_url = f"http://{address}"
        yield site


def _config(hostile: HostileSite, healthy: SimulatedSite) -> str:
    return (
        '[[units]]\nkey = "kr"\nname = "Huyện Kon Rẫy"\nlevel = "district"\n'
        f'[[sites]]\nkey = "h"\nunit = "kr"\nkind = "dnn"\nbase_url = "{hostile.base_url}"\n'
        'local = true\noptions = { feeds = ["/feed.xml"] }\n'
        f'[[sites]]\nkey = "ok"\nunit = "kr"\nkind = "dnn"\nbase_url = "{healthy.base_url}"\n'
        "local = true\n"
    )


async def _document(mirror: Mirror, key: str) -> dict[str, Any]:
    item = await mirror.store.find_item(f"h:{key}")
    _, doc = await mirror.store.document(item.id)
    assert doc is not None
    return doc


async def test_hostile_content_is_contained(mirror_for: MirrorFactory, tmp_path: Path) -> None:
    async with (
        hostile_site() as hostile,
        SimulatedSite(seed=41, articles=30, images=5, documents=2) as healthy,
        mirror_for(parse_config(_config(hostile, healthy))) as mirror,
    ):
        ticks = 0
        running = True

        async def ticker() -> None:
            nonlocal ticks
            while running:
                await asyncio.sleep(0.005)
                ticks += 1

        ticking = asyncio.create_task(ticker())
        bad, good = await asyncio.gather(mirror.run_site("h"), mirror.run_site("ok"))
        running = False
        await ticking
        # the loop kept turning while both sites were mirrored
        assert ticks >= 10

        # the healthy site is mirrored whole
        assert (good.new, good.failed) == (30, 0) and good.ok
        # the hostile site: only its two deep documents failed, each with its reason
        assert bad.ok and bad.failed == 2, bad.errors
        assert all("nested more than 256 levels deep" in error for error in bad.errors)
        assert any(hostile.url("/tin-tuc/ArticleId/3/sau") in error for error in bad.errors)
        assert bad.new == 3

        # an <img> answered with an HTML page is a broken reference, not an image
        doc = await _document(mirror, dnn_key(hostile.url("/tin-tuc/ArticleId/1/anh")))
        media = {m["url"].rsplit("/", 1)[-1]: m for m in doc["media"]}
        assert media["gia.jpg"]["sha"] is None
        assert media["gia.jpg"]["missing"] == "an HTML page, not an image"
        assert await mirror.store.blobs.get(media["that.jpg"]["sha"]) == JPEG
        # the SVG is kept as a drawing without its script
        svg = await mirror.store.blobs.get(media["hinh.svg"]["sha"])
        assert b"<rect" in svg and b"script" not in svg and b"onload" not in svg

        # a javascript: canonical is dropped: the item keeps the URL it was fetched from
        doc = await _document(mirror, dnn_key(hostile.url("/tin-tuc/ArticleId/2/canonical")))
        assert doc["url"] == hostile.url("/tin-tuc/ArticleId/2/canonical")

        # a feed item with a javascript: link is stored under its guid, without that link;
        # its javascript: enclosure is a broken reference, never fetched
        doc = await _document(mirror, "tin-js")
        assert "javascript" not in doc["url"] and doc["body"] == "<p>Nội dung bình thường.</p>"
        assert [(m["sha"], m["missing"]) for m in doc["media"]] == [(None, "not an http(s) URL")]

        # a second pass: the same items fail again, nothing else changes
        again = await mirror.run_site("h")
        assert (again.failed, again.new, again.changed) == (2, 0, 0)

        await _assert_exports_inert(mirror, tmp_path)


async def _assert_exports_inert(mirror: Mirror, tmp_path: Path) -> None:
    out = tmp_path / "static"
    await export_site(mirror.store, "h", as_of=utcnow(), fmt="static", out=out)
    pages = list(out.rglob("*.html"))
    assert len(pages) > 3
    for page in pages:
        tree = lxml.html.fromstring(page.read_bytes())
        policy = tree.xpath('//meta[@http-equiv="Content-Security-Policy"]/@content')
        assert len(policy) == 1 and "script-src 'none'" in policy[0], page
        links = tree.xpath("//@href | //@src")
        assert links and not [link for link in links if "javascript" in link.lower()], page
    (svg,) = list((out / "media").glob("*.svg"))
    assert b"script" not in svg.read_bytes()

    warc_folder = tmp_path / "warc"
    await export_site(mirror.store, "h", as_of=utcnow(), fmt="warc", out=warc_folder)
    (warc,) = list(warc_folder.glob("*.warc.gz"))
    htmls = 0
    with warc.open("rb") as stream:
        for record in ArchiveIterator(stream):
            if record.rec_type != "response":
                continue
            payload = record.content_stream().read()
            kind = record.http_headers.get_header("Content-Type")
            if kind.startswith("text/html"):
                htmls += 1
                policy = record.http_headers.get_header("Content-Security-Policy")
                assert policy and "script-src 'none'" in policy
                assert not re.search(rb"(href|src)=\"javascript", payload, re.IGNORECASE)
            assert b"<script" not in payload, record.rec_headers.get_header("WARC-Target-URI")
    assert htmls == 3  # the three stored articles
