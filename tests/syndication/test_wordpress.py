"""Syndication into a real WordPress (Debian's package): a DNN article becomes a post with its
images uploaded, edits follow, a hand edit is left alone, and WordPress's own update ping
makes syncd mirror a new post at once."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from connectors.origin_marker import find_marker
from syncd.config import parse_config
from syncd.daemon import Daemon
from syncd.simulator import SimulatedSite
from syncd.store import schema as t
from tests.support.wordpress import WordPressSite, wp_eval

PASSWORD_ENV = "SYNCD_TEST_WP_PASSWORD"
POSTS = "wp/v2/posts?context=edit&per_page=100"


def _config(tmp_path: Path, store_url: str, d: SimulatedSite, wp: WordPressSite) -> str:
    return (
        f'[daemon]\nstate_dir = "{tmp_path / "state"}"\nstore_url = "{store_url}"\n'
        'listen = "127.0.0.1:0"\n'
        '[[units]]\nkey = "kr"\nname = "Huyện Kon Rẫy"\nlevel = "district"\n'
        '[[units]]\nkey = "x"\nname = "Xã Đăk Ruồng"\nlevel = "commune"\nparent = "kr"\n'
        f'[[sites]]\nkey = "d"\nunit = "kr"\nkind = "dnn"\nbase_url = "{d.base_url}"\n'
        "local = true\n"
        f'[[sites]]\nkey = "wp"\nunit = "x"\nkind = "feed"\nbase_url = "{wp.base_url}"\n'
        'local = true\nschedule = "6h"\noptions = { feeds = ["/feed/"], sitemap = "" }\n'
        f'publish = {{ kind = "wordpress", endpoint = "/wp-json/", username = "{wp.username}", '
        f'password = {{ env = "{PASSWORD_ENV}" }} }}\n'
        '[[routes]]\nkey = "down"\nfrom_sites = ["d"]\nto = { relation = "children" }\n'
        'publish_as = "published"\n'
    )


async def _wp(http: aiohttp.ClientSession, wp: WordPressSite, method: str, path: str,
              body: dict[str, Any] | None = None) -> Any:  # fmt: skip
    auth = base64.b64encode(f"{wp.username}:{wp.app_password}".encode()).decode()
    async with http.request(
        method, wp.api_root + path, json=body, headers={"Authorization": f"Basic {auth}"}
    ) as response:
        assert response.status < 300, await response.text()
        return await response.json()


@pytest.mark.slow
async def test_dnn_news_into_real_wordpress(
    tmp_path: Path, store_url: str, wordpress: WordPressSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PASSWORD_ENV, wordpress.app_password)
    async with SimulatedSite(seed=71, articles=2, images=2, documents=0, blog_posts=0) as d:
        daemon = Daemon(parse_config(_config(tmp_path, store_url, d, wordpress)), tick_seconds=1)
        await daemon.start()
        try:
            await daemon.run_burst()
            async with aiohttp.ClientSession() as http:
                # the ping WordPress sends on publishing goes to syncd's update endpoint
                # (WordPress pings only for a public blog: the test install is private)
                wp_eval(wordpress, f"update_option('ping_sites', '{daemon.status_url}RPC2');"
                                   "update_option('blog_public', 1);")  # fmt: skip
                # WordPress lives for the whole session: this run's copies are those whose
                # marker names this run's source site
                port = d.base_url.rsplit(":", 1)[1]

                def ours(posts: list[Any]) -> list[Any]:
                    return [p for p in posts
                            if (m := find_marker(p["content"]["raw"])) and f":{port}/" in m.origin]

                mine = ours(await _wp(http, wordpress, "GET", POSTS))
                copies = mine
                assert sorted(p["title"]["raw"] for p in copies) == sorted(
                    a.title for a in d.articles()
                )
                media = await _wp(http, wordpress, "GET", "wp/v2/media?per_page=50")
                uploaded = {m["source_url"] for m in media}
                with_image = [p for p in copies if "<img" in p["content"]["raw"]]
                assert with_image, "the simulated articles carry images"
                for post in with_image:
                    # every image now lives in WordPress's media library
                    srcs = [s.split('"')[0] for s in post["content"]["raw"].split('src="')[1:]]
                    assert srcs and all(src in uploaded for src in srcs), srcs

                edited = d.articles()[0]
                d.edit_article(edited.article_id, title="Tiêu đề sửa ở huyện")
                await _wait_due(daemon, "d")
                await daemon.run_burst()
                mine = ours(await _wp(http, wordpress, "GET", POSTS))
                assert "Tiêu đề sửa ở huyện" in {p["title"]["raw"] for p in mine}

                # a person edits the copy on WordPress: syncd sees it and leaves it alone
                await _wait_due(daemon, "wp")
                await daemon.run_burst()  # baseline of the copies, mirrored from /feed/
                post = next(p for p in mine if p["title"]["raw"] == "Tiêu đề sửa ở huyện")
                await _wp(http, wordpress, "POST", f"wp/v2/posts/{post['id']}",
                          {"content": "<p>Sửa tay ở xã.</p>" + post["content"]["raw"]})  # fmt: skip
                await _wait_due(daemon, "wp")
                await daemon.run_burst()
                states = await _copy_states(daemon)
                assert states.count("diverged") == 1, states
                d.edit_article(edited.article_id, title="Sửa lần hai ở huyện")
                await _wait_due(daemon, "d")
                await daemon.run_burst()
                held = await _wp(http, wordpress, "GET", f"wp/v2/posts/{post['id']}?context=edit")
                assert held["title"]["raw"] == "Tiêu đề sửa ở huyện"

                # WordPress publishes a post of its own and pings: mirrored within seconds
                news = f"Xã thông báo lịch tiêm chủng {port}"
                await _wp(http, wordpress, "POST", "wp/v2/posts",
                          {"title": news, "status": "publish",
                           "content": "<p>Thông báo của xã.</p>"})  # fmt: skip
                # the publish hook scheduled `do_pings`; run it as WordPress's cron would
                # (the test install disables cron's own loopback spawning)
                await asyncio.to_thread(wp_eval, wordpress, "do_action('do_pings');")
                # the store has no "item arrived" event to wait on: look every 200 ms
                async with asyncio.timeout(20):
                    while news not in await _titles(daemon, "wp"):  # noqa: ASYNC110
                        await asyncio.sleep(0.2)
        finally:
            await daemon.stop()


async def _wait_due(daemon: Daemon, site: str) -> None:
    from syncd.store.mirrorstate import MirrorState
    from syncd.store.store import utcnow

    state = MirrorState(daemon.store.engine)
    await state.update_site(await daemon.store.site_id(site), next_due_at=utcnow())


async def _copy_states(daemon: Daemon) -> list[str]:
    async with daemon.store.engine.connect() as conn:
        return [s for (s,) in await conn.execute(select(t.copies.c.state))]


async def _titles(daemon: Daemon, site: str) -> set[str]:
    site_id = await daemon.store.site_id(site)
    async with daemon.store.engine.connect() as conn:
        rows = await conn.execute(
            select(t.revisions.c.title)
            .join(t.items, t.items.c.id == t.revisions.c.item_id)
            .where(t.items.c.site_id == site_id)
        )
        return {r for (r,) in rows if r}

