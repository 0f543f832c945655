"""Core RSS, Blog RSS and Announcements feeds in their exact DNN shapes."""

from __future__ import annotations

from email.utils import parsedate_to_datetime

import aiohttp
import feedparser

from syncd.simulator import SimulatedSite

from .helpers import xml

MEDIA = "{http://search.yahoo.com/mrss/}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"


async def test_core_rss_shape(site: SimulatedSite, http: aiohttp.ClientSession) -> None:
    async with http.get(site.rss_url) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("text/xml")
        raw = await resp.read()
    assert b"CDATA" not in raw
    root = xml(raw)
    assert root.tag == "rss" and root.get("version") == "2.0" and not root.nsmap
    channel = root.find("channel")
    assert channel is not None
    assert [c.tag for c in channel if c.tag != "item"] == [
        "title", "link", "description", "language", "copyright", "webMaster",
    ]
    assert channel.findtext("title") == site.name
    items = channel.findall("item")
    assert len(items) == 10  # rss_items
    newest = site.state.news.newest(10)
    for item, article in zip(items, newest, strict=True):
        assert [c.tag for c in item] == ["title", "description", "pubDate", "link", "guid"]
        assert item.findtext("title") == article.title
        assert item.findtext("description") == article.summary
        assert item.findtext("link") == site.url(article.path)
        guid = item.find("guid")
        assert guid is not None and guid.text == item.findtext("link")
        assert "isPermaLink" not in guid.attrib
        pub = item.findtext("pubDate") or ""
        assert pub.endswith(" GMT") and parsedate_to_datetime(pub) == article.published


async def test_core_rss_for_another_module_is_empty(
    site: SimulatedSite, http: aiohttp.ClientSession
) -> None:
    async with http.get(site.url("/RSS.aspx?tabid=56&moduleid=999")) as resp:
        root = xml(await resp.read())
    assert root.findall("channel/item") == []


async def test_blog_feed_with_bodies(site: SimulatedSite, http: aiohttp.ClientSession) -> None:
    async with http.get(site.blog_feed_url + "&body=true&recs=3") as resp:
        assert resp.status == 200
        raw = await resp.read()
    root = xml(raw)
    assert set(root.nsmap) == {"blog", "atom", "media", "content"}
    assert b"<![CDATA[" in raw
    items = root.findall("channel/item")
    assert len(items) == 3
    posts = sorted(site.blog_posts(), key=lambda p: p.published, reverse=True)[:3]
    for item, post in zip(items, posts, strict=True):
        assert item.findtext("author") == post.author
        assert [c.text for c in item.findall("category")] == list(post.terms)
        guid = item.find("guid")
        assert guid is not None and guid.get("isPermaLink") == "true"
        assert guid.text == site.url(post.path)
        thumb = item.find(f"{MEDIA}thumbnail")
        assert thumb is not None and thumb.get("url") == site.url(post.image_paths[0])
        assert item.findtext(f"{CONTENT}encoded") == post.body_html
    # The quirk: channel pubDate is local time (UTC+7) labelled GMT.
    channel_date = parsedate_to_datetime(root.findtext("channel/pubDate") or "")
    newest = max(p.modified for p in posts)
    assert (channel_date - newest).total_seconds() == 7 * 3600


async def test_blog_feed_without_body_and_by_term(
    site: SimulatedSite, http: aiohttp.ClientSession
) -> None:
    async with http.get(site.blog_feed_url) as resp:
        root = xml(await resp.read())
    assert "content" not in root.nsmap
    assert root.find(f"channel/item/{CONTENT}encoded") is None
    term = site.blog_posts()[0].terms[0]
    async with http.get(site.blog_feed_url, params={"term": term}) as resp:
        parsed = feedparser.parse(await resp.read())
    wanted = {site.url(p.path) for p in site.blog_posts() if term in p.terms}
    assert {e.link for e in parsed.entries} == wanted


async def test_announcements_formats_and_legacy_path(
    site: SimulatedSite, http: aiohttp.ClientSession
) -> None:
    headers = {"ModuleId": "425", "TabId": "21"}
    base = "/API/Announcements/Announcements/Current/"
    async with http.get(site.url(base + "json"), headers=headers) as resp:
        assert resp.status == 200
        items = await resp.json()
    # Five generated, one of them expired long ago.
    assert len(items) == 4 and all(i["ModuleID"] == 425 for i in items)
    assert "\\u" not in (await resp.text())
    async with http.get(site.url(base + "rss?ModuleId=425&TabId=21")) as resp:
        rss = feedparser.parse(await resp.read())
    assert [e.title for e in rss.entries] == [i["Title"] for i in items]
    legacy = "/DesktopModules/Announcements/API/Announcements/Current/atom"
    async with http.get(site.url(legacy), headers=headers) as resp:
        root = xml(await resp.read())
    assert root.tag == "{http://www.w3.org/2005/Atom}feed"
    assert len(root.findall("{http://www.w3.org/2005/Atom}entry")) == 4
    async with http.get(site.url(base + "json")) as resp:
        assert resp.status == 400
    async with http.get(site.url(base + "json"), headers={**headers, "ModuleId": "1"}) as resp:
        assert resp.status == 404
