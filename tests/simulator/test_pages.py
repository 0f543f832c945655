"""Article pages, listings, old URL forms and files, in DNN's markup and content types."""

from __future__ import annotations

from urllib.parse import quote

import aiohttp
from lxml import html

from syncd.simulator import SimulatedSite

from .helpers import article_body


async def test_article_page_markup_and_exact_body(
    site: SimulatedSite, http: aiohttp.ClientSession
) -> None:
    article = next(a for a in site.articles() if len(a.image_paths) >= 2)
    async with http.get(site.url(article.path)) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"] == "text/html; charset=utf-8"
        page = await resp.text()
    assert article_body(page) == article.body_html
    tree = html.fromstring(page)
    assert tree.get_element_by_id("dnn_ContentPane") is not None
    module = tree.xpath(f'//div[contains(@class, "DnnModule-{site.config.news_module_id}")]')
    assert module and module[0].xpath('.//div[@class="edn_article edn_clearFix"]/h1/text()') == [
        article.title
    ]
    assert tree.xpath('//link[@rel="canonical"]/@href') == [site.url(article.path)]
    related = tree.xpath('//ul[@class="edn_relatedArticles"]/li/a/@href')
    assert related and all("/ArticleId/" in href for href in related)
    assert tree.xpath("//nav/ul/li/a") and tree.xpath("//footer")
    # Editors paste both relative and absolute image links.
    sources = tree.xpath('//div[@class="edn_article_content Normal"]//img/@src')
    assert any(s.startswith("/Portals/") for s in sources)
    assert any(s.startswith(site.base_url + "/Portals/") for s in sources)


async def test_other_url_forms_reach_the_same_article(
    site: SimulatedSite, http: aiohttp.ClientSession
) -> None:
    article = site.article(7)
    for path in (
        "/Default.aspx?tabid=56&ArticleId=7",
        "/tin-tuc/ArticleId/7/wrong-slug",
        "/tin-tuc/ArticleId/7",
        "/tabid/56/ArticleId/7/anything.aspx",
    ):
        async with http.get(site.url(path)) as resp:
            assert resp.status == 200, path
            assert article_body(await resp.text()) == article.body_html


async def test_listing_pages_link_every_article(
    site: SimulatedSite, http: aiohttp.ClientSession
) -> None:
    found: list[str] = []
    url: str | None = site.url("/tin-tuc")
    while url:
        async with http.get(url) as resp:
            tree = html.fromstring(await resp.text())
        found += tree.xpath('//h2[@class="edn_articleTitle"]/a/@href')
        nxt = tree.xpath('//div[@class="edn_pagination"]/a[@class="next"]/@href')
        url = site.url(nxt[0]) if nxt else None
    assert sorted(found) == sorted(site.url(a.path) for a in site.articles())
    async with http.get(site.base_url + "/") as resp:
        home = html.fromstring(await resp.text())
    assert len(home.xpath('//h2[@class="edn_articleTitle"]/a')) == site.config.rss_items


async def test_files_with_content_types_and_linkclick(
    site: SimulatedSite, http: aiohttp.ClientSession
) -> None:
    truths = [t for t in site.truth() if t.media]
    checked = 0
    for truth in truths:
        for media in truth.media:
            async with http.get(media.url) as resp:
                assert resp.status == 200
                assert resp.headers["Content-Type"] == media.content_type
                assert await resp.read() == media.data
            checked += 1
    assert checked == 8 + 6
    linked = [t for t in truths if "LinkClick.aspx?fileticket=" in t.article.body_html]
    assert linked
    tree = html.fromstring(linked[0].article.body_html)
    href = next(a.get("href") for a in tree.iter("a") if "LinkClick" in a.get("href", ""))
    async with http.get(site.url(href)) as resp:
        assert resp.status == 200
        assert "attachment" in resp.headers["Content-Disposition"]
        data = await resp.read()
    assert data in {m.data for m in linked[0].media}


async def test_spaces_in_file_names_are_percent_encoded(
    site: SimulatedSite, http: aiohttp.ClientSession
) -> None:
    spaced = next(m for m in site.media() if " " in m.path)
    assert site.media_url(spaced.path) == site.url(quote(spaced.path))
    async with http.get(site.media_url(spaced.path)) as resp:
        assert resp.status == 200 and await resp.read() == spaced.data()


async def test_missing_things_are_404(site: SimulatedSite, http: aiohttp.ClientSession) -> None:
    for path in ("/tin-tuc/ArticleId/9999/x", "/Portals/0/Images/none.jpg",
                 "/LinkClick.aspx?fileticket=zz", "/Default.aspx?tabid=999"):
        async with http.get(site.url(path)) as resp:
            assert resp.status == 404, path
