"""Public read surfaces: core RSS, sitemap, article and listing pages, files."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from aiohttp import web

from .content import Article
from .http_cache import conditional_response, make_etag
from .keys import listings_empty, state_of
from .pages import render_article_page, render_listing_page, render_not_found
from .rss_core import last_change, render_core_rss
from .sitemap import part_count, part_slice, render_index, render_urlset
from .state import SiteState, file_id_from_ticket

LISTING_PAGE_SIZE = 10


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _text(
    request: web.Request,
    state: SiteState,
    text: str,
    content_type: str,
    last_modified: datetime | None = None,
) -> web.Response:
    body = text.encode("utf-8")
    etag = make_etag(body, state.generation)
    return conditional_response(request, body, content_type, "utf-8", etag, last_modified)


async def core_rss(request: web.Request) -> web.Response:
    state = state_of(request)
    c = state.config
    module_id = _int(request.query.get("moduleid"))
    tab_id = _int(request.query.get("tabid"))
    ours = module_id == c.news_module_id or (module_id is None and tab_id == c.news_tab_id)
    items = [] if listings_empty(request) or not ours else state.news.newest(c.rss_items)
    base = state.require_base_url()
    newest = last_change(items, state.touched_at)
    text = render_core_rss(c.name, base, items, newest.year)
    return _text(request, state, text, "text/xml", newest)


async def sitemap(request: web.Request) -> web.Response:
    state = state_of(request)
    index = _int(request.query.get("i"))
    now = state.clock.now()
    cached = state.sitemap_cache.get(index)
    if cached is not None and now < cached[0] + state.config.sitemap_cache and not (
        listings_empty(request)
    ):
        return _text(request, state, cached[1], "text/xml", cached[2])
    text, newest = render_sitemap(state, index, listings_empty(request))
    if not listings_empty(request):
        state.sitemap_cache[index] = (now, text, newest)
    return _text(request, state, text, "text/xml", newest)


def render_sitemap(state: SiteState, index: int | None, empty: bool) -> tuple[str, datetime]:
    base = state.require_base_url()
    articles = [] if empty else state.news.all()
    newest = last_change(articles, state.touched_at)
    threshold = state.config.sitemap_threshold
    parts = part_count(len(articles), threshold)
    if parts == 0:
        text = render_urlset(base, articles)
    elif index is None:
        text = render_index(base, parts, f"{newest:%Y-%m-%d}")
    else:
        text = render_urlset(base, part_slice(articles, index, threshold))
    return text, newest


def not_found(state: SiteState) -> web.Response:
    body = render_not_found(state.config, state.require_base_url())
    return web.Response(status=404, text=body, content_type="text/html", charset="utf-8")


def _related(state: SiteState, article: Article) -> list[Article]:
    out: list[Article] = []
    for other_id in range(article.article_id - 1, max(article.article_id - 30, 0), -1):
        other = state.news.find(other_id)
        if other is not None and other.is_published:
            out.append(other)
        if len(out) == 5:
            break
    return out


def article_response(request: web.Request, state: SiteState, article: Article | None) -> (
    web.Response
):
    if article is None or not article.is_published:
        return not_found(state)
    article = state.resolve(article)
    text = render_article_page(
        state.config, state.require_base_url(), article, _related(state, article)
    )
    return _text(request, state, text, "text/html", max(article.modified, state.touched_at))


async def news_article(request: web.Request) -> web.Response:
    state = state_of(request)
    article_id = _int(request.match_info.get("article_id"))
    return article_response(request, state, state.news.find(article_id or 0))


async def blog_post_page(request: web.Request) -> web.Response:
    state = state_of(request)
    post_id = _int(request.match_info.get("post_id"))
    return article_response(request, state, state.blog.find(post_id or 0))


def listing_response(request: web.Request, state: SiteState, page: int, home: bool) -> (
    web.Response
):
    c = state.config
    per_page = c.rss_items if home else LISTING_PAGE_SIZE
    everything = [] if listings_empty(request) else state.news.newest(page * per_page + 1)
    shown = everything[(page - 1) * per_page : page * per_page]
    more = len(everything) > page * per_page and not home
    next_href = f"/{c.news_path}/PgrID/{c.news_module_id}/PageID/{page + 1}" if more else None
    title = "Trang chủ" if home else "Tin tức"
    active = "/" if home else f"/{c.news_path}"
    text = render_listing_page(c, state.require_base_url(), title, active, shown, next_href)
    return _text(request, state, text, "text/html")


async def home(request: web.Request) -> web.Response:
    return listing_response(request, state_of(request), 1, home=True)


async def news_listing(request: web.Request) -> web.Response:
    page = _int(request.match_info.get("page")) or 1
    return listing_response(request, state_of(request), max(page, 1), home=False)


async def default_aspx(request: web.Request) -> web.Response:
    """`/Default.aspx?tabid=56&ArticleId=N` always works, whatever the URL scheme."""
    state = state_of(request)
    c = state.config
    tab_id = _int(request.query.get("tabid") or request.match_info.get("tab_id"))
    article_id = _int(request.query.get("ArticleId") or request.match_info.get("article_id"))
    if tab_id == c.news_tab_id and article_id is not None:
        return article_response(request, state, state.news.find(article_id))
    if tab_id == c.blog_tab_id and article_id is not None:
        return article_response(request, state, state.blog.find(article_id))
    if tab_id == c.news_tab_id:
        return listing_response(request, state, 1, home=False)
    if tab_id in (None, c.home_tab_id):
        return listing_response(request, state, 1, home=True)
    return not_found(state)


async def portal_file(request: web.Request) -> web.Response:
    state = state_of(request)
    media = state.media.by_path(request.path)
    if media is None:
        return not_found(state)
    data = media.data()
    etag = make_etag(media.file_id, len(data), media.modified.isoformat())
    return conditional_response(request, data, media.content_type, None, etag, media.modified)


async def link_click(request: web.Request) -> web.Response:
    state = state_of(request)
    file_id = file_id_from_ticket(request.query.get("fileticket", ""))
    media = state.media.by_id(file_id) if file_id is not None else None
    if media is None:
        return not_found(state)
    data = media.data()
    name = media.path.rsplit("/", 1)[-1]
    disposition = f"attachment; filename*=UTF-8''{quote(name)}"
    etag = make_etag(media.file_id, len(data), media.modified.isoformat())
    return conditional_response(
        request, data, media.content_type, None, etag, media.modified,
        {"Content-Disposition": disposition},
    )
