"""Mirror a simulated DNN site, export it, and browse the copy over HTTP like a reader would."""

from __future__ import annotations

import hashlib
import posixpath
from collections import deque
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import aiohttp
import lxml.html
from aiohttp import web

from syncd.export import export_site
from syncd.simulator import SimulatedSite
from tests.export.sample import check_links
from tests.mirror.conftest import MirrorFactory, network_config

PREFIX = "/sites/kon-ray/"  # served below a path, as an emergency copy often is


def _links(page: bytes, base: str) -> list[str]:
    tree = lxml.html.fromstring(page)
    found = []
    for element in tree.iter("a", "img", "link"):
        value = element.get("src" if element.tag == "img" else "href")
        if value and not urlsplit(value).scheme:
            found.append(urljoin(base, value).split("#")[0])
    return found


async def _crawl(start: str) -> dict[str, bytes]:
    """Every local URL reachable from `start`, fetched once; fails on any status but 200."""
    host = urlsplit(start).netloc
    seen: dict[str, bytes] = {}
    queue = deque([start])
    async with aiohttp.ClientSession() as http:
        while queue:
            link = queue.popleft()
            if link in seen or urlsplit(link).netloc != host:
                continue
            async with http.get(link) as response:
                assert response.status == 200, link
                body = await response.read()
            seen[link] = body
            if link.endswith(".html"):
                queue.extend(_links(body, link))
    return seen


async def test_mirror_export_and_browse(mirror_for: MirrorFactory, tmp_path: Path) -> None:
    out = tmp_path / "copy"
    async with (
        SimulatedSite(seed=21, articles=30, images=8, documents=4) as site,
        mirror_for(network_config({"s": site})) as mirror,
    ):
        report = await mirror.run_site("s")
        assert report.ok and report.failed == 0
        result = await export_site(mirror.store, "s", as_of=None, fmt="static", out=out)
        truth = site.truth()
        titles = {t.article.title for t in truth}
        media = {hashlib.sha256(m.data).hexdigest(): m.data for t in truth for m in t.media}
    assert result.articles == len(truth) and result.missing_media == 0
    assert result.media == len(media)
    check_links(out)

    app = web.Application()
    app.router.add_static(PREFIX, out)
    runner = web.AppRunner(app)
    await runner.setup()
    server = web.TCPSite(runner, "127.0.0.1", 0)
    await server.start()
    try:
        port = runner.addresses[0][1]
        fetched = await _crawl(f"http://127.0.0.1:{port}{PREFIX}index.html")
    finally:
        await runner.cleanup()

    pages = {u: b for u, b in fetched.items() if posixpath.basename(u).endswith(".html")}
    shown = {
        lxml.html.fromstring(body).findtext(".//h1")
        for u, body in pages.items()
        if "/articles/" in u
    }
    assert shown == titles  # every mirrored article reached from the index over HTTP
    served = {
        posixpath.basename(urlsplit(u).path).split(".")[0]: body
        for u, body in fetched.items()
        if "/media/" in u
    }
    assert served == media  # every image and document, byte for byte
    assert any(u.endswith("style.css") for u in fetched)
