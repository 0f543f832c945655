"""Many sites in one process, and the standalone runner."""

from __future__ import annotations

import asyncio
import sys

import aiohttp

from syncd.simulator import SimulatedNetwork, SimulatedSite

from .helpers import xml


async def test_network_sites_have_own_urls_and_content(http: aiohttp.ClientSession) -> None:
    async with SimulatedNetwork.generate(5, seed=100, articles=20) as net:
        urls = {site.base_url for site in net}
        assert len(urls) == 5 and all(u.startswith("http://127.0.0.1:") for u in urls)
        assert net[0].name == "Cổng thông tin điện tử huyện Kon Rẫy"
        assert net.by_name("Xã Đăk Ruồng") is net[1]
        titles = []
        for site in net:
            async with http.get(site.rss_url) as resp:
                titles.append(xml(await resp.read()).findtext("channel/title"))
        assert titles == [site.name for site in net]
        assert len({net[0].article(1).title, net[1].article(1).title}) == 2
        # The network's sites share one clock.
        net.clock.advance(10)
        assert all(site.clock is net.clock for site in net)
    assert all(site._runner is None for site in net)


async def test_stopped_site_refuses_connections(http: aiohttp.ClientSession) -> None:
    site = SimulatedSite(articles=2)
    base = await site.start()
    await site.stop()
    try:
        async with http.get(base + "/RSS.aspx") as resp:
            await resp.read()
        reachable = True
    except aiohttp.ClientConnectionError:
        reachable = False
    assert not reachable


async def test_command_line_runner_prints_urls(http: aiohttp.ClientSession) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "syncd.simulator", "--sites", "2", "--articles", "5",
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        lines = []
        while (line := (await proc.stdout.readline()).decode().strip()) != "ready":
            assert line, "runner exited before it was ready"
            lines.append(line)
        assert len(lines) == 2 and "Xã Đăk Ruồng" in lines[1]
        base = lines[0].split()[0]
        async with http.get(base + "/Sitemap.aspx") as resp:
            assert resp.status == 200
            assert len(xml(await resp.read())) == 5
    finally:
        proc.terminate()
        await proc.wait()


async def test_same_seed_serves_the_same_bytes(http: aiohttp.ClientSession) -> None:
    bodies = []
    for _ in range(2):
        async with SimulatedSite(seed=77, articles=15, images=4, documents=2) as site:
            got = []
            for url in (site.rss_url, site.sitemap_url, site.url(site.article(9).path),
                        site.blog_feed_url + "&body=true"):
                async with http.get(url) as resp:
                    got.append((await resp.text()).replace(site.base_url, "BASE"))
            bodies.append(got)
    assert bodies[0] == bodies[1]
