"""Adding, editing, unpublishing and deleting articles while the site runs."""

from __future__ import annotations

import aiohttp

from syncd.simulator import SimClock, SimulatedSite

from .helpers import article_body, xml

NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


async def rss_links(http: aiohttp.ClientSession, site: SimulatedSite) -> list[str]:
    async with http.get(site.rss_url) as resp:
        return [i.findtext("link") or "" for i in xml(await resp.read()).iter("item")]


async def sitemap(http: aiohttp.ClientSession, site: SimulatedSite) -> dict[str, str]:
    async with http.get(site.sitemap_url) as resp:
        root = xml(await resp.read())
    return {u.findtext(f"{NS}loc") or "": u.findtext(f"{NS}lastmod") or "" for u in root}


async def test_add_edit_delete_are_visible(
    site: SimulatedSite, http: aiohttp.ClientSession, clock: SimClock
) -> None:
    added = site.add_article("Xã Đăk Ruồng ra quân làm đường", body_html="<p>Bài mới</p>")
    assert added.article_id == 41
    url = site.url(added.path)
    assert (await rss_links(http, site))[0] == url
    assert url in await sitemap(http, site)
    async with http.get(url) as resp:
        assert article_body(await resp.text()) == "<p>Bài mới</p>"

    clock.advance(3 * 24 * 3600)
    old = site.article(5)
    changed = site.edit_article(5, body_html="<p>Nội dung đã sửa</p>")
    assert changed.modified > old.modified
    assert (await sitemap(http, site))[site.url(old.path)] == f"{changed.modified:%Y-%m-%d}"
    async with http.get(site.url(old.path)) as resp:
        assert article_body(await resp.text()) == "<p>Nội dung đã sửa</p>"

    site.delete_article(5)
    async with http.get(site.url(old.path)) as resp:
        assert resp.status == 404
    assert site.url(old.path) not in await sitemap(http, site)
    assert 5 not in [a.article_id for a in site.articles()]


async def test_unpublish_hides_everywhere(
    site: SimulatedSite, http: aiohttp.ClientSession
) -> None:
    newest = site.state.news.newest(1)[0]
    url = site.url(newest.path)
    site.set_published(newest.article_id, False)
    assert url not in await rss_links(http, site)
    assert url not in await sitemap(http, site)
    async with http.get(url) as resp:
        assert resp.status == 404
    site.set_published(newest.article_id, True)
    assert url in await rss_links(http, site)


async def test_retitled_article_moves_to_a_new_slug(
    site: SimulatedSite, http: aiohttp.ClientSession
) -> None:
    changed = site.edit_article(3, title="Tiêu đề mới của bài")
    assert changed.path == "/tin-tuc/ArticleId/3/tieu-de-moi-cua-bai"
    assert site.url(changed.path) in await sitemap(http, site)


async def test_admin_api(site: SimulatedSite, http: aiohttp.ClientSession) -> None:
    async with http.post(site.url("/__sim/articles"), json={"title": "Thông báo khẩn"}) as resp:
        assert resp.status == 201
        created = await resp.json()
    assert created["url"] in await rss_links(http, site)
    async with http.patch(site.url(f"/__sim/articles/{created['id']}"),
                          json={"body_html": "<p>Sửa qua API</p>"}) as resp:
        assert resp.status == 200
    assert site.article(created["id"]).body_html == "<p>Sửa qua API</p>"
    async with http.delete(site.url(f"/__sim/articles/{created['id']}")) as resp:
        assert resp.status == 200
    async with http.delete(site.url(f"/__sim/articles/{created['id']}")) as resp:
        assert resp.status == 400
        assert "no article with id" in (await resp.json())["error"]
    async with http.post(site.url("/__sim/faults"),
                         json={"kind": "error_503", "paths": ["/RSS.aspx"]}) as resp:
        assert resp.status == 201
    async with http.get(site.rss_url) as resp:
        assert resp.status == 503
    async with http.post(site.url("/__sim/faults"), json={"kind": "nonsense"}) as resp:
        assert resp.status == 400
    async with http.get(site.url("/__sim/")) as resp:
        info = await resp.json()
    assert info["faults"] == ["error_503"] and info["articles"] == 40
