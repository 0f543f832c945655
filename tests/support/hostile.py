"""Hostile sites: what an attacker controlling one mirrored site can serve, on 127.0.0.1.

Each case is one site on its own port, shaped like a DNN site (a sitemap listing article
pages with EasyDNNnews containers) or a feed site (RSS), so syncd's real connectors read it
the way they read any other site. Every DNN case also lists one plain article: a hostile
document must fail alone, so that article must be stored whatever happens to its neighbours.

A canary server stands for everything a site must not reach (another local port, the
metadata address, ...): it answers every request with a real PNG, so an unguarded fetch would
succeed and be stored, and it counts what reached it.

    async with HostileNetwork() as net:
        net.cases                       # [HostileCase]: name, kind, base_url, feeds, ...
        net.canary.hits                 # requests that reached the canary

Bodies are generated while they are sent: the 10 GiB gzip bombs are 10 MB on the wire and
cost the server a few kilobytes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import struct
import zlib
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import TracebackType
from typing import Literal

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

MIB = 1024 * 1024
BOMB_INFLATED = 10 * 1024 * MIB  # 10 GiB of zeros, about 10.6 MB once deflated
IMAGE_BOMB_INFLATED = 100 * MIB  # the image the issue saw stored past the 32 MiB cap
HUGE = 64 * MIB  # twice the default body cap
DEEP = 100_000  # nesting depth of the deep documents
PLAIN_PATH = "/tin-tuc/ArticleId/1/tin-binh-thuong"
PLAIN_TITLE = "Tin bình thường của xã"
PLAIN_TEXT = "Ủy ban nhân dân xã Đăk Ruồng thông báo lịch tiếp công dân định kỳ."
VIETNAMESE_TITLE = "Thông báo lịch tiếp công dân tháng 12 năm 2026"
VIETNAMESE_TEXT = "Ủy ban nhân dân huyện Kon Rẫy trân trọng thông báo đến toàn thể nhân dân"
SCRIPT_MARK = "alert(document.cookie)"  # what every injected script runs


def png_bytes() -> bytes:
    """A valid 1x1 PNG (the magic bytes a media check looks for, and a real image)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


# -- gzip bombs ------------------------------------------------------------------------------


@cache
def _zero_block() -> bytes:
    """1 MiB of zeros deflated and fully flushed: the flush resets the compressor, so the
    same bytes repeated are a valid deflate stream of that many MiB of zeros."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(b"\0" * MIB) + compressor.flush(zlib.Z_FULL_FLUSH)


_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
_DEFLATE_END = b"\x03\x00"  # an empty final block


def bomb_wire_size(inflated: int) -> int:
    return len(_GZIP_HEADER) + (inflated // MIB) * len(_zero_block()) + len(_DEFLATE_END) + 8


def bomb_pieces(inflated: int) -> Iterator[bytes]:
    """A gzip stream of ``inflated`` zero bytes (a whole number of MiB), in wire pieces.
    The trailer's CRC is computed only if a client reads that far (seconds for 10 GiB)."""
    block = _zero_block()
    yield _GZIP_HEADER
    batch = block * 64
    whole, rest = divmod(inflated // MIB, 64)
    for _ in range(whole):
        yield batch
    yield block * rest + _DEFLATE_END
    crc, zeros = 0, b"\0" * MIB
    for _ in range(inflated // MIB):
        crc = zlib.crc32(zeros, crc)
    yield struct.pack("<II", crc, inflated & 0xFFFFFFFF)


# -- sending bodies --------------------------------------------------------------------------


async def stream(
    request: web.Request,
    pieces: Iterable[bytes],
    *,
    content_type: str,
    length: int | None = None,
    headers: dict[str, str] | None = None,
    pause: float = 0.0,
) -> web.StreamResponse:
    """Send ``pieces`` with a Content-Length when given, chunked otherwise; ``pause`` waits
    between pieces (a drip). The client hanging up ends the handler."""
    response = web.StreamResponse(headers={"Content-Type": content_type, **(headers or {})})
    if length is not None:
        response.content_length = length
    await response.prepare(request)
    try:
        for piece in pieces:
            await response.write(piece)
            if pause:
                await asyncio.sleep(pause)
        await response.write_eof()
    except (ConnectionResetError, ConnectionError):
        pass
    return response


async def close_delimited(
    request: web.Request, head: dict[str, str], pieces: Iterable[bytes]
) -> web.StreamResponse:
    """An HTTP/1.1 answer with neither Content-Length nor chunking: the body ends when the
    connection closes. aiohttp's server always chunks such answers, so this one is written
    to the transport directly."""
    transport = request.transport
    assert transport is not None
    lines = "".join(f"{name}: {value}\r\n" for name, value in head.items())
    transport.write(f"HTTP/1.1 200 OK\r\n{lines}Connection: close\r\n\r\n".encode())
    for piece in pieces:
        if transport.is_closing():
            break
        transport.write(piece)
        await _drained(transport, 4 * MIB)
    await _drained(transport, 0)
    transport.abort()
    return web.Response(status=599)  # never reaches the client: the connection is gone


async def _drained(transport: asyncio.BaseTransport, level: int) -> None:
    """Wait until the transport holds at most ``level`` unsent bytes (or is closing)."""
    assert isinstance(transport, asyncio.WriteTransport)
    # asyncio transports offer no event for "drained": poll
    while transport.get_write_buffer_size() > level and not transport.is_closing():  # noqa: ASYNC110
        await asyncio.sleep(0.005)


def _repeat(piece: bytes, total: int | None) -> Iterator[bytes]:
    """``piece`` again and again, ``total`` bytes in all (forever when None)."""
    sent = 0
    while total is None or sent < total:
        part = piece if total is None else piece[: total - sent]
        sent += len(part)
        yield part


# -- DNN and RSS documents --------------------------------------------------------------------


def dnn_page(title: str, body: str, *, head: str = "") -> str:
    return (
        '<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8">'
        f"<title>{title}</title>{head}</head><body>"
        '<div id="dnn_ContentPane"><div class="DnnModule">'
        f'<h1 class="edn_article_title">{title}</h1>'
        '<div class="edn_articleDate">05/12/2026 08:00</div>'
        f'<div class="edn_article_content Normal">{body}</div>'
        "</div></div></body></html>"
    )


def _origin(request: web.Request) -> str:
    return f"http://{request.host}"


def html(text: str, status: int = 200) -> web.Response:
    return web.Response(text=text, status=status, content_type="text/html", charset="utf-8")


def page(title: str, body: str, *, head: str = "") -> Handler:
    async def handler(_: web.Request) -> web.StreamResponse:
        return html(dnn_page(title, body, head=head))

    return handler


def urlset(locs: Iterable[str]) -> str:
    entries = "".join(f"<url><loc>{loc}</loc><lastmod>2026-12-05</lastmod></url>" for loc in locs)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>'
    )


def xml(text: str, content_type: str = "application/xml") -> web.Response:
    return web.Response(text=text, content_type=content_type, charset="utf-8")


def rss(items: str, *, doctype: str = "", channel_link: str = "http://127.0.0.1/") -> str:
    return (
        f'<?xml version="1.0" encoding="utf-8"?>{doctype}'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
        f"<channel><title>Tin tức</title><link>{channel_link}</link>"
        f"<description>Cổng thông tin</description>{items}</channel></rss>"
    )


def rss_item(
    guid: str, title: str, *, link: str | None = None, summary: str = "", content: str = "",
    extra: str = "",
) -> str:  # fmt: skip
    parts = [f"<title>{title}</title>", f'<guid isPermaLink="false">{guid}</guid>']
    if link is not None:
        parts.append(f"<link>{link}</link>")
    parts.append(f"<description>{summary}</description>")
    if content:
        parts.append(f"<content:encoded><![CDATA[{content}]]></content:encoded>")
    parts.append("<pubDate>Sat, 05 Dec 2026 01:00:00 GMT</pubDate>")
    return "<item>" + "".join(parts) + extra + "</item>"


def nested(open_tag: str, close_tag: str, depth: int, core: str) -> str:
    return open_tag * depth + core + close_tag * depth


# -- the cases --------------------------------------------------------------------------------


@dataclass
class HostileCase:
    """One hostile site. ``routes`` maps a path to its handler; for DNN cases a sitemap of
    ``articles`` (plus the plain article) is served unless a route overrides it."""

    name: str
    kind: Literal["dnn", "feed"]
    articles: dict[str, Handler] = field(default_factory=dict)
    routes: dict[str, Handler] = field(default_factory=dict)
    feeds: tuple[str, ...] = ()
    local: bool = True
    plain: bool = True  # list the plain article too
    host: str = "127.0.0.1"  # the host written in base_url (SSRF forms of the canary)
    serve: bool = True  # False: base_url names the canary and no server of its own runs
    base_url: str = ""
    _runner: web.AppRunner | None = field(default=None, repr=False)

    @property
    def sitemap_paths(self) -> list[str]:
        return ([PLAIN_PATH] if self.plain else []) + list(self.articles)

    def app(self) -> web.Application:
        app = web.Application()
        routes: dict[str, Handler] = {}
        if self.kind == "dnn":
            routes["/Sitemap.aspx"] = self._sitemap
        if self.plain:
            routes[PLAIN_PATH] = page(PLAIN_TITLE, f"<p>{PLAIN_TEXT}</p>")
        routes.update(self.articles)
        routes.update(self.routes)
        for path, handler in routes.items():
            app.router.add_get(path, handler)
        return app

    async def _sitemap(self, request: web.Request) -> web.StreamResponse:
        return xml(urlset(_origin(request) + path for path in self.sitemap_paths))


class Canary:
    """Stands for every place a site must not reach; answers each request with a PNG."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        self.port = 0
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._answer)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        first = web.TCPSite(self._runner, "127.0.0.1", 0)
        await first.start()
        self.port = self._runner.addresses[0][1]
        with contextlib.suppress(OSError):  # [::1] forms reach it where IPv6 loopback exists
            await web.TCPSite(self._runner, "::1", self.port).start()

    async def _answer(self, request: web.Request) -> web.Response:
        self.hits.append(f"{request.host}{request.path_qs}")
        return web.Response(body=png_bytes(), content_type="image/png")

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


def _bomb(inflated: int, mode: Literal["length", "chunked", "close"], ctype: str) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        head = {"Content-Encoding": "gzip"}
        if mode == "close":
            return await close_delimited(
                request, {"Content-Type": ctype, **head}, bomb_pieces(inflated)
            )
        length = bomb_wire_size(inflated) if mode == "length" else None
        return await stream(
            request, bomb_pieces(inflated), content_type=ctype, length=length, headers=head
        )

    return handler


def _huge(total: int | None, *, with_length: bool, ctype: str = "text/html") -> Handler:
    filler = ("<p>" + "Nội dung lặp lại. " * 200 + "</p>").encode()

    async def handler(request: web.Request) -> web.StreamResponse:
        return await stream(
            request, _repeat(filler, total), content_type=ctype,
            length=total if with_length else None,
        )  # fmt: skip

    return handler


def _drip(body: bytes, every: float) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        return await stream(
            request, (body[i : i + 1] for i in range(len(body))), content_type="text/html",
            pause=every,
        )  # fmt: skip

    return handler


def _redirect(to: Callable[[web.Request], str]) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound(to(request))

    return handler


def _raw(data: bytes, ctype: str) -> Handler:
    async def handler(_: web.Request) -> web.StreamResponse:
        return web.Response(body=data, headers={"Content-Type": ctype})

    return handler


def _static(text: str, ctype: str) -> Handler:
    return _raw(text.encode(), ctype)


LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    + "]>"
)
XXE = '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd"><!ENTITY net SYSTEM "{canary}">]>'
SSRF_FORMS = {  # name -> host[:port] form of the canary (or of a place with nothing on it)
    "loopback-other-port": "127.0.0.1:{port}",
    "metadata": "169.254.169.254",
    "unspecified": "0.0.0.0:{port}",
    "ipv4-mapped": "[::ffff:127.0.0.1]:{port}",
    "ipv4-compatible": "[::127.0.0.1]:{port}",
    "nat64": "[64:ff9b::7f00:1]:{port}",
    "6to4": "[2002:7f00:1::]:{port}",
    "ipv6-loopback": "[::1]:{port}",
    "decimal": "2130706433:{port}",
    "octal": "0177.0.0.1:{port}",
    "hex-short": "0x7f.1:{port}",
}


def _ssrf_local_article(canary_port: int) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        images = "".join(
            f'<img src="http://{form.format(port=canary_port)}/anh/{name}.png" alt="{name}">'
            for name, form in SSRF_FORMS.items()
        )
        body = (
            f"<p>{PLAIN_TEXT}</p>{images}"
            '<img src="/Portals/0/anh-that.png" alt="ảnh thật">'
            '<img src="/Portals/0/chuyen-huong.png" alt="chuyển hướng">'
            f'<a href="http://127.0.0.1:{canary_port}/tai-lieu/bi-mat.pdf">tài liệu</a>'
        )
        return html(dnn_page("Bài có ảnh nội bộ", body))

    return handler


def _ssrf_redirect(canary_port: int) -> Handler:
    return _redirect(lambda _: f"http://127.0.0.1:{canary_port}/anh/chuyen-huong.png")


def _deep(depth: int) -> dict[str, str]:
    script = f"<script>{SCRIPT_MARK}</script>"
    return {
        "div": nested("<div>", "</div>", depth, f"sâu{script}"),
        "span": nested("<span>", "</span>", depth, f"sâu{script}"),
        "unclosed-b": "<b>" * depth + f"sâu{script}",
        "table": nested("<table><tr><td>", "</td></tr></table>", depth // 5, f"sâu{script}"),
        "list": nested("<ul><li>", "</li></ul>", depth // 2, f"sâu{script}"),
        "blockquote": nested("<blockquote>", "</blockquote>", depth, f"sâu{script}"),
    }


JS_VARIANTS = (
    f"javascript:{SCRIPT_MARK}",
    f"JaVaScRiPt:{SCRIPT_MARK}",
    f" javascript:{SCRIPT_MARK}",
    f"java&#x09;script:{SCRIPT_MARK}",
    f"&#106;avascript:{SCRIPT_MARK}",
)


def _js_body() -> str:
    links = "".join(f'<a href="{v}">bấm {i}</a> ' for i, v in enumerate(JS_VARIANTS))
    return (
        f'<p>{PLAIN_TEXT}</p><p>{links}</p><img src="javascript:{SCRIPT_MARK}" alt="x">'
        f'<iframe src="javascript:{SCRIPT_MARK}"></iframe>'
        f'<p onclick="{SCRIPT_MARK}">nhấn</p>'
    )


SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" '
    f'onload="{SCRIPT_MARK}"><script>{SCRIPT_MARK}</script>'
    '<circle cx="5" cy="5" r="4"/></svg>'
)
HTML_AS_IMAGE = f"<html><body><script>{SCRIPT_MARK}</script>Trang đăng nhập</body></html>"
TEXT_AS_PNG = "Đây không phải là một tấm ảnh, chỉ là văn bản."


def _invalid_utf8() -> Handler:
    body = f"<p>{VIETNAMESE_TEXT}</p><p>Lịch tiếp: thứ Hai và thứ Năm hằng tuần.</p>"
    data = dnn_page(VIETNAMESE_TITLE, body).encode()
    # one stray byte in the middle of the article: the rest is valid UTF-8
    cut = data.index("Lịch tiếp".encode())
    broken = data[:cut] + b"\xff" + data[cut:]
    return _raw(broken, "text/html; charset=utf-8")


def _sitemap_index(parts: int, urls_per_part: int) -> dict[str, Handler]:
    async def index(request: web.Request) -> web.StreamResponse:
        origin = _origin(request)
        entries = "".join(
            f"<sitemap><loc>{origin}/Sitemap.aspx?i={n}</loc></sitemap>" for n in range(parts)
        )
        if "i" in request.query:
            return await part(request)
        return xml(
            '<?xml version="1.0" encoding="UTF-8"?><sitemapindex '
            f'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</sitemapindex>'
        )

    async def part(request: web.Request) -> web.StreamResponse:
        origin = _origin(request)
        n = int(request.query["i"])

        def pieces() -> Iterator[bytes]:
            yield (
                b'<?xml version="1.0" encoding="UTF-8"?>'
                b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            )
            for start in range(0, urls_per_part, 1000):
                yield "".join(
                    f"<url><loc>{origin}/tin-tuc/ArticleId/{n * urls_per_part + k}/trang"
                    f"</loc><lastmod>2026-12-05</lastmod></url>"
                    for k in range(start, min(start + 1000, urls_per_part))
                ).encode()
            yield b"</urlset>"

        return await stream(request, pieces(), content_type="application/xml")

    async def missing(_: web.Request) -> web.StreamResponse:
        return html("<p>Không tìm thấy</p>", status=404)

    return {"/Sitemap.aspx": index, "/tin-tuc/ArticleId/{n}/trang": missing}


def build_cases(canary_port: int) -> list[HostileCase]:
    """Every hostile case, named by its configuration key."""
    a = "/tin-tuc/ArticleId"
    canary = f"http://127.0.0.1:{canary_port}/xxe"
    deep = _deep(DEEP)
    laughs_feed = rss(
        rss_item("laughs-1", "Cười &lol9;", summary="&lol9;", content="<p>Tin &lol9;</p>"),
        doctype=LAUGHS,
    )
    xxe_feed = rss(
        rss_item("xxe-1", "Tin &xxe;", summary="&xxe; &net;", content="<p>Tin</p>"),
        doctype=XXE.format(canary=canary),
    )

    async def laughs_sitemap(request: web.Request) -> web.StreamResponse:
        plain = _origin(request) + PLAIN_PATH
        return xml(
            '<?xml version="1.0" encoding="UTF-8"?>' + LAUGHS
            + '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<url><loc>{plain}</loc><lastmod>&lol9;</lastmod></url>"
            f"<url><loc>{_origin(request)}/tin-tuc/ArticleId/2/&lol9;</loc></url></urlset>"
        )  # fmt: skip

    async def xxe_sitemap(request: web.Request) -> web.StreamResponse:
        plain = _origin(request) + PLAIN_PATH
        return xml(
            '<?xml version="1.0" encoding="UTF-8"?>' + XXE.format(canary=canary)
            + '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<url><loc>{plain}</loc></url><url><loc>&xxe;</loc></url>"
            "<url><loc>&net;</loc></url></urlset>"
        )  # fmt: skip

    js_feed = rss(
        rss_item(
            "js-content", "Thông báo có nội dung", link=f"javascript:{SCRIPT_MARK}",
            content=_js_body(),
            extra=f'<enclosure url="javascript:{SCRIPT_MARK}" type="image/png" length="1"/>',
        )
        + rss_item(
            "js-summary", "Thông báo chỉ có tóm tắt", link=f"JAVASCRIPT:{SCRIPT_MARK}",
            summary=f"&lt;p&gt;{PLAIN_TEXT}&lt;/p&gt;",
        ),
        channel_link=f"javascript:{SCRIPT_MARK}",
    )  # fmt: skip
    deep_feed = rss(rss_item("deep-1", "Tin lồng sâu", link=None, content=deep["div"]))
    drip_body = dnn_page("Trang nhỏ giọt", "<p>" + "Chậm. " * 20 + "</p>").encode()
    png = png_bytes()

    cases = [
        HostileCase("sitemap-laughs", "dnn", routes={"/Sitemap.aspx": laughs_sitemap}),
        HostileCase("sitemap-xxe", "dnn", routes={"/Sitemap.aspx": xxe_sitemap}),
        HostileCase("feed-laughs", "feed", feeds=("/rss.xml",),
                    routes={"/rss.xml": _static(laughs_feed, "application/rss+xml")}),
        HostileCase("feed-xxe", "feed", feeds=("/rss.xml",),
                    routes={"/rss.xml": _static(xxe_feed, "application/rss+xml")}),
        HostileCase("huge-length", "dnn",
                    articles={f"{a}/2/rat-lon": _huge(HUGE, with_length=True)}),
        HostileCase("huge-chunked", "dnn",
                    articles={f"{a}/2/rat-lon": _huge(HUGE, with_length=False)}),
        HostileCase("endless", "dnn", articles={f"{a}/2/vo-tan": _huge(None, with_length=False)}),
        HostileCase("huge-image", "dnn", articles={
            f"{a}/2/anh-lon": page("Bài có ảnh rất lớn",
                                   f'<p>{PLAIN_TEXT}</p><img src="/Portals/0/anh-lon.jpg">'),
        }, routes={"/Portals/0/anh-lon.jpg": _huge(None, with_length=False, ctype="image/jpeg")}),
        HostileCase("gzip-bomb-length", "dnn",
                    articles={f"{a}/2/bom": _bomb(BOMB_INFLATED, "length", "text/html")}),
        HostileCase("gzip-bomb-close", "dnn",
                    articles={f"{a}/2/bom": _bomb(BOMB_INFLATED, "close", "text/html")}),
        HostileCase("gzip-bomb-chunked", "dnn",
                    articles={f"{a}/2/bom": _bomb(BOMB_INFLATED, "chunked", "text/html")}),
        HostileCase("gzip-bomb-image", "dnn", articles={
            f"{a}/2/anh-bom": page("Bài có ảnh nén",
                                   f'<p>{PLAIN_TEXT}</p><img src="/Portals/0/bom.png">'),
        }, routes={"/Portals/0/bom.png": _bomb(IMAGE_BOMB_INFLATED, "length", "image/png")}),
        HostileCase("drip", "dnn", articles={f"{a}/2/nho-giot": _drip(drip_body, 1.0)}),
        HostileCase("redirect-loop", "dnn", articles={
            f"{a}/2/vong-lap": _redirect(lambda r: f"{a}/3/vong-lap-b"),
            f"{a}/3/vong-lap-b": _redirect(lambda r: f"{a}/2/vong-lap"),
            f"{a}/4/chuyen-mai": _redirect(
                lambda r: f"{a}/4/chuyen-mai?n={int(r.query.get('n', '0')) + 1}"),
        }),
        HostileCase("deep-div", "dnn",
                    articles={f"{a}/2/long-sau": page("Bài lồng sâu", deep["div"])}),
        HostileCase("deep-forms", "dnn", articles={
            f"{a}/{i}/long-sau-{form}": page(f"Bài lồng sâu {form}", body)
            for i, (form, body) in enumerate(deep.items(), start=2) if form != "div"
        }),
        HostileCase("deep-feed", "feed", feeds=("/rss.xml",),
                    routes={"/rss.xml": _static(deep_feed, "application/rss+xml")}),
        HostileCase("ssrf-local", "dnn",
                    articles={f"{a}/2/anh-noi-bo": _ssrf_local_article(canary_port)},
                    routes={"/Portals/0/anh-that.png": _raw(png, "image/png"),
                            "/Portals/0/chuyen-huong.png": _ssrf_redirect(canary_port)}),
        HostileCase("javascript-feed", "feed", feeds=("/rss.xml",),
                    routes={"/rss.xml": _static(js_feed, "application/rss+xml")}),
        HostileCase("javascript-page", "dnn", articles={
            f"{a}/2/lien-ket-doc": page(
                "Bài có liên kết độc", _js_body(),
                head=f'<link rel="canonical" href="javascript:{SCRIPT_MARK}">'),
        }),
        HostileCase("svg-script", "dnn", articles={
            f"{a}/2/bieu-trung": page("Biểu trưng của xã", f'<p>{PLAIN_TEXT}</p>'
                                      '<img src="/Portals/0/bieu-trung.svg" alt="biểu trưng">'),
        }, routes={"/Portals/0/bieu-trung.svg": _static(SVG, "image/svg+xml")}),
        HostileCase("mislabelled-media", "dnn", articles={
            f"{a}/2/anh-gia": page("Bài có ảnh giả", f"<p>{PLAIN_TEXT}</p>"
                                   '<img src="/Portals/0/anh-dai-dien.jpg" alt="html">'
                                   '<img src="/Portals/0/bieu-do.png" alt="văn bản">'
                                   '<img src="/Portals/0/anh-that.png" alt="thật">'),
        }, routes={"/Portals/0/anh-dai-dien.jpg": _static(HTML_AS_IMAGE, "text/html"),
                   "/Portals/0/bieu-do.png": _static(TEXT_AS_PNG, "image/png"),
                   "/Portals/0/anh-that.png": _raw(png, "image/png")}),
        HostileCase("invalid-utf8", "dnn", articles={f"{a}/2/tieng-viet": _invalid_utf8()}),
        # more parts than allowed
        HostileCase("sitemap-index-parts", "dnn", plain=False,
                    routes=_sitemap_index(parts=1000, urls_per_part=300_000)),
    ]  # fmt: skip
    for form, host in SSRF_FORMS.items():
        cases.append(HostileCase(f"ssrf-site-{form}", "dnn", local=False, serve=False,
                                 host=host.format(port=canary_port)))  # fmt: skip
    return cases


class HostileNetwork:
    """The canary and every case's site, each on its own 127.0.0.1 port."""

    def __init__(self, names: Iterable[str] | None = None) -> None:
        self.canary = Canary()
        self._names = set(names) if names is not None else None
        self.cases: list[HostileCase] = []

    async def start(self) -> None:
        await self.canary.start()
        cases = build_cases(self.canary.port)
        self.cases = [c for c in cases if self._names is None or c.name in self._names]
        for case in self.cases:
            if not case.serve:
                case.base_url = f"http://{case.host}"
                continue
            # handler_cancellation: a drip or an endless body ends when the client hangs up
            runner = web.AppRunner(case.app(), access_log=None, handler_cancellation=True,
                                   shutdown_timeout=0.5)  # fmt: skip
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", 0).start()
            case._runner = runner
            case.base_url = f"http://127.0.0.1:{runner.addresses[0][1]}"

    async def stop(self) -> None:
        for case in self.cases:
            if case._runner is not None:
                await case._runner.cleanup()
        await self.canary.stop()

    async def __aenter__(self) -> HostileNetwork:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:  # fmt: skip
        await self.stop()


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return str(value)


def config_toml(
    cases: Iterable[HostileCase],
    healthy: dict[str, str],
    state_dir: Path,
    *,
    daemon: dict[str, object] | None = None,
    schedule: str = "15m",
) -> str:
    """A syncd configuration mirroring every case and the healthy sites (key -> base URL)."""
    settings = {
        "state_dir": str(state_dir), "listen": "127.0.0.1:0", "log_format": "json",
        "concurrency": 64, **DAEMON_LIMITS, **(daemon or {}),
    }  # fmt: skip
    lines = ["[daemon]"] + [f"{k} = {_toml_value(v)}" for k, v in settings.items()]
    lines.append('[[units]]\nkey = "kr"\nname = "Huyện Kon Rẫy"\nlevel = "district"')
    sites = [(c.name, c.kind, c.base_url, c.local, c.feeds) for c in cases]
    sites += [(key, "dnn", url, True, ()) for key, url in healthy.items()]
    for key, kind, url, local, feeds in sites:
        lines.append(
            f'[[sites]]\nkey = "{key}"\nunit = "kr"\nkind = "{kind}"\nbase_url = "{url}"\n'
            f"schedule = {_toml_value(schedule)}\nlocal = {_toml_value(local)}"
        )
        if feeds:
            lines.append(f"options = {{ feeds = {_toml_value(feeds)} }}")
    return "\n".join(lines) + "\n"


# Limits the test configurations set so that hostile cases end in seconds, not minutes
# (the production defaults allow a slow site far more).
DAEMON_LIMITS: dict[str, object] = {"read_timeout": "2s", "fetch_deadline": "20s"}
