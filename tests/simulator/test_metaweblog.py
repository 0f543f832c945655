"""MetaWeblog XML-RPC round trip against BlogPost.ashx, visible in the blog feed."""

from __future__ import annotations

import xmlrpc.client
from typing import Any

import aiohttp
import feedparser
import pytest

from syncd.simulator import SimulatedSite


async def call(http: aiohttp.ClientSession, site: SimulatedSite, method: str, *params: Any) -> Any:
    body = xmlrpc.client.dumps(params, methodname=method, allow_none=True)
    async with http.post(site.metaweblog_url, data=body.encode(),
                         headers={"Content-Type": "text/xml"}) as resp:
        assert resp.status == 200
        result, _ = xmlrpc.client.loads(await resp.read(), use_builtin_types=True)
    return result[0]


async def test_post_round_trip(site: SimulatedSite, http: aiohttp.ClientSession) -> None:
    user = ("editor", "editor-password")
    struct = {"title": "Tin từ xã Đăk Ruồng", "description": "<p>Nội dung đầy đủ</p>",
              "categories": ["Chuyển đổi số"], "mt_excerpt": "Tóm tắt"}
    post_id = await call(http, site, "metaWeblog.newPost", "1", *user, struct, True)
    got = await call(http, site, "metaWeblog.getPost", post_id, *user)
    assert got["title"] == struct["title"] and got["description"] == struct["description"]
    assert got["categories"] == ["Chuyển đổi số"]
    async with http.get(site.blog_feed_url + "&body=true") as resp:
        feed = feedparser.parse(await resp.read())
    entry = next(e for e in feed.entries if e.link == got["link"])
    assert entry.content[0].value == "<p>Nội dung đầy đủ</p>"

    edited = dict(struct, description="<p>Đã sửa</p>")
    assert await call(http, site, "metaWeblog.editPost", post_id, *user, edited, True) is True
    assert (await call(http, site, "metaWeblog.getPost", post_id, *user))["description"] == (
        "<p>Đã sửa</p>"
    )
    recent = await call(http, site, "metaWeblog.getRecentPosts", "1", *user, 3)
    assert len(recent) == 3 and post_id in [p["postid"] for p in recent]

    media = {"name": "anh.jpg", "type": "image/jpeg", "bits": xmlrpc.client.Binary(b"\xff\xd8")}
    url = (await call(http, site, "metaWeblog.newMediaObject", "1", *user, media))["url"]
    async with http.get(url) as resp:
        assert await resp.read() == b"\xff\xd8"

    assert await call(http, site, "blogger.deletePost", "", post_id, *user, True) is True
    with pytest.raises(xmlrpc.client.Fault, match="not found"):
        await call(http, site, "metaWeblog.getPost", post_id, *user)


async def test_bad_credentials_are_a_fault(
    site: SimulatedSite, http: aiohttp.ClientSession
) -> None:
    with pytest.raises(xmlrpc.client.Fault) as caught:
        await call(http, site, "metaWeblog.getRecentPosts", "1", "editor", "wrong", 5)
    assert caught.value.faultCode == 801


async def test_draft_stays_out_of_the_feed(
    site: SimulatedSite, http: aiohttp.ClientSession
) -> None:
    post_id = await call(http, site, "metaWeblog.newPost", "1", "host", "host-password",
                         {"title": "Bản nháp", "description": "<p>x</p>"}, False)
    async with http.get(site.blog_feed_url) as resp:
        feed = feedparser.parse(await resp.read())
    assert all(f"/Post/{post_id}/" not in e.link for e in feed.entries)
