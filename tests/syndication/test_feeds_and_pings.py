"""Outgoing feeds for sites that allow no writes, and update pings that start a pass at once,
through the daemon's real HTTP port."""

from __future__ import annotations

import xmlrpc.client
from pathlib import Path

import aiohttp
import feedparser

from connectors.origin_marker import find_marker
from syncd.config import parse_config
from syncd.daemon import Daemon
from syncd.simulator import SimulatedSite
from syncd.store.mirrorstate import MirrorState
from syncd.web.syndication import PingLimiter, match_site


def test_match_site_by_host_and_path() -> None:
    sites = {"d": "https://konray.gov.vn", "sub": "https://konray.gov.vn/xa", "o": "http://o.vn"}
    assert match_site("http://konray.gov.vn/tin-tuc/1", sites) == "d"  # scheme ignored
    assert match_site("https://www.konray.gov.vn/", sites) == "d"
    assert match_site("https://konray.gov.vn/xa/bai-1", sites) == "sub"  # the longest base
    assert match_site("https://konray.gov.vn/xahoi", sites) == "d"
    assert match_site("https://evil.example/konray.gov.vn", sites) is None
    assert match_site("not a url", sites) is None


def test_ping_limits() -> None:
    limiter = PingLimiter(per_sender=2, window=60)
    assert [limiter.sender_allowed("1.2.3.4", t) for t in (0, 1, 2)] == [True, True, False]
    assert limiter.sender_allowed("1.2.3.4", 61)  # the window slid


def _config(tmp_path: Path, store_url: str, d: SimulatedSite, c: SimulatedSite) -> str:
    return (
        f'[daemon]\nstate_dir = "{tmp_path / "state"}"\nstore_url = "{store_url}"\n'
        'listen = "127.0.0.1:0"\n'
        '[[units]]\nkey = "kr"\nname = "Huyện Kon Rẫy"\nlevel = "district"\n'
        '[[units]]\nkey = "x"\nname = "Xã Tân Lập"\nlevel = "commune"\nparent = "kr"\n'
        f'[[sites]]\nkey = "d"\nunit = "kr"\nkind = "dnn"\nbase_url = "{d.base_url}"\n'
        "local = true\n"
        f'[[sites]]\nkey = "c"\nunit = "x"\nkind = "dnn"\nbase_url = "{c.base_url}"\n'
        "local = true\n"
        '[[routes]]\nkey = "down"\nfrom_sites = ["d"]\nto = { relation = "children" }\n'
        'method = "feed"\npublish_as = "published"\n'
    )


async def test_feed_offers_copies_and_pings_start_a_pass(tmp_path: Path, store_url: str) -> None:
    async with (
        SimulatedSite(seed=41, articles=3, images=1, documents=0, blog_posts=0) as d,
        SimulatedSite(seed=42, articles=2, images=0, documents=0, blog_posts=0) as c,
    ):
        daemon = Daemon(parse_config(_config(tmp_path, store_url, d, c)))
        await daemon.start(schedule=False)
        try:
            await daemon.run_burst()
            assert daemon.status_url is not None
            async with aiohttp.ClientSession() as http:
                feed_url = daemon.status_url + "feeds/c.rss"
                async with http.get(feed_url) as response:
                    assert response.status == 200
                    assert response.content_type == "application/rss+xml"
                    etag = response.headers["ETag"]
                    body = await response.read()
                parsed = feedparser.parse(body)
                assert sorted(e.title for e in parsed.entries) == sorted(
                    a.title for a in d.articles()
                )
                for entry in parsed.entries:
                    marker = find_marker(entry.content[0].value)
                    assert marker is not None and marker.path == ("d",)
                    assert entry.id.startswith("syncd:d:")
                    assert "Huyện Kon Rẫy" in entry.content[0].value
                async with http.get(feed_url, headers={"If-None-Match": etag}) as again:
                    assert again.status == 304
                async with http.get(daemon.status_url + "feeds/c.atom") as atom:
                    assert feedparser.parse(await atom.read()).version == "atom10"
                async with http.get(daemon.status_url + "feeds/d.rss") as empty:
                    assert feedparser.parse(await empty.read()).entries == []
                async with http.get(daemon.status_url + "feeds/nope.rss") as missing:
                    assert missing.status == 404

                # a new district article, then WordPress-style pings
                d.add_article("Tin khẩn: lịch tiếp công dân")
                ping = xmlrpc.client.dumps(("Huyện", d.base_url + "/"), "weblogUpdates.ping")
                async with http.post(daemon.status_url + "RPC2", data=ping) as answer:
                    (result,), _ = xmlrpc.client.loads(await answer.read())
                assert result == {"flerror": False, "message": "Thanks for the ping."}
                await daemon.run_burst()  # the pass the ping started, and its deliveries
                async with http.get(feed_url) as response:
                    titles = [e.title for e in feedparser.parse(await response.read()).entries]
                assert "Tin khẩn: lịch tiếp công dân" in titles

                unknown = xmlrpc.client.dumps(("x", "https://evil.example/"), "weblogUpdates.ping")
                async with http.post(daemon.status_url + "RPC2", data=unknown) as answer:
                    (result,), _ = xmlrpc.client.loads(await answer.read())
                assert result["flerror"] is True
                async with http.post(daemon.status_url + "RPC2", data=b"<not xml") as answer:
                    (result,), _ = xmlrpc.client.loads(await answer.read())
                assert result["flerror"] is True
            status = await MirrorState(daemon.store.engine).site_status(
                await daemon.store.site_id("d")
            )
            assert status.failures == 0
        finally:
            await daemon.stop()
