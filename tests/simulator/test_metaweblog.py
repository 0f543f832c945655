"""MetaWeblog XML-RPC round trip against BlogPost.ashx, visible in the blog feed.

The endpoint behaves as the DNN Blog module's real one (see syncd.simulator.metaweblog):
faults are code 0, deletePost answers false, a missing post is a null-reference fault.
"""

from __future__ import annotations

import xmlrpc.client
from datetime import UTC, datetime
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
              "categories": ["Chuyển đổi số", "Không có"],
              "dateCreated": datetime(2025, 5, 5, 9, 30)}
    post_id = await call(http, site, "metaWeblog.newPost", "1", *user, struct, True)
    got = await call(http, site, "metaWeblog.getPost", post_id, *user)
    assert got["title"] == struct["title"] and got["description"] == struct["description"]
    assert got["categories"] == ["Chuyển đổi số"]  # unknown categories are dropped, not made
    # dateCreated is the user's local time (UTC+7 here); the UTC date comes back separately
    assert got["date_created_gmt"] == datetime(2025, 5, 5, 2, 30)
    async with http.get(site.blog_feed_url + "&body=true") as resp:
        feed = feedparser.parse(await resp.read())
    entry = next(e for e in feed.entries if e.link == got["link"])
    assert entry.content[0].value == "<p>Nội dung đầy đủ</p>"

    edited = dict(struct, description="<p>Đã sửa</p>")
    assert await call(http, site, "metaWeblog.editPost", post_id, *user, edited, True) is True
    assert (await call(http, site, "metaWeblog.getPost", post_id, *user))["description"] == (
        "<p>Đã sửa</p>"
    )
    # the count asked for is ignored: the module answers its WLWRecentPostsMax (10)
    recent = await call(http, site, "metaWeblog.getRecentPosts", "1", *user, 3)
    assert len(recent) == min(10, len(site.blog_posts(include_drafts=True)))

    media = {"name": "anh.jpg", "type": "image/jpeg", "bits": xmlrpc.client.Binary(b"\xff\xd8")}
    url = (await call(http, site, "metaWeblog.newMediaObject", "1", *user, media))["url"]
    assert url.startswith("/Portals/0/Blog/Files/1/_temp_images/") and url.endswith(".jpg")
    async with http.get(site.url(url)) as resp:
        assert await resp.read() == b"\xff\xd8"

    # deletePost never reports success, even when it deleted the post
    assert await call(http, site, "blogger.deletePost", "", post_id, *user, True) is False
    with pytest.raises(xmlrpc.client.Fault, match="Object reference not set"):
        await call(http, site, "metaWeblog.getPost", post_id, *user)


async def test_bad_credentials_are_a_fault(
    site: SimulatedSite, http: aiohttp.ClientSession
) -> None:
    with pytest.raises(xmlrpc.client.Fault) as caught:
        await call(http, site, "metaWeblog.getRecentPosts", "1", "editor", "wrong", 5)
    assert caught.value.faultCode == 0  # XML-RPC.NET: every fault is code 0
    assert "username or the password is invalid" in caught.value.faultString


async def test_draft_stays_out_of_the_feed(
    site: SimulatedSite, http: aiohttp.ClientSession
) -> None:
    post_id = await call(http, site, "metaWeblog.newPost", "1", "host", "host-password",
                         {"title": "Bản nháp", "description": "<p>x</p>",
                          "dateCreated": datetime.now(UTC).replace(tzinfo=None)}, False)
    async with http.get(site.blog_feed_url) as resp:
        feed = feedparser.parse(await resp.read())
    assert all(f"/Post/{post_id}/" not in e.link for e in feed.entries)


async def test_post_without_date_is_a_fault(
    site: SimulatedSite, http: aiohttp.ClientSession
) -> None:
    with pytest.raises(xmlrpc.client.Fault, match="dateCreated"):
        await call(http, site, "metaWeblog.newPost", "1", "editor", "editor-password",
                   {"title": "Không ngày", "description": "<p>x</p>"}, True)
