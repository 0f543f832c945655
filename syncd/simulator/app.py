"""The aiohttp application of one simulated site: routes and middlewares."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from . import admin, jwt_auth, metaweblog, routes_content, services
from .announcements import announcements
from .blog_feed import blog_feed
from .fault_effects import fault_middleware
from .keys import STATE
from .state import SiteState

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def add_service_route(router: web.UrlDispatcher, method: str, path: str, handler: Handler) -> None:
    """Services Framework routes answer at /API/{Folder}/... and /DesktopModules/{Folder}/API/..."""
    folder, rest = path.lstrip("/").split("/", 1)
    router.add_route(method, f"/API/{folder}/{rest}", handler)
    router.add_route(method, f"/DesktopModules/{folder}/API/{rest}", handler)


def build_app(state: SiteState) -> web.Application:
    app = web.Application(middlewares=[fault_middleware], client_max_size=64 * 1024 * 1024)
    app[STATE] = state
    r = app.router
    c = state.config
    content = routes_content
    r.add_get("/", content.home)
    r.add_get("/Default.aspx", content.default_aspx)
    r.add_get("/default.aspx", content.default_aspx)
    r.add_get("/RSS.aspx", content.core_rss)
    r.add_get("/rss.aspx", content.core_rss)
    r.add_get("/Sitemap.aspx", content.sitemap)
    r.add_get("/sitemap.aspx", content.sitemap)
    r.add_get(f"/{c.news_path}", content.news_listing)
    r.add_get(f"/{c.news_path}/PgrID/{{module_id}}/PageID/{{page}}", content.news_listing)
    r.add_get(f"/{c.news_path}/ArticleId/{{article_id:\\d+}}", content.news_article)
    r.add_get(f"/{c.news_path}/ArticleId/{{article_id:\\d+}}/{{slug}}", content.news_article)
    # Older sites: /tabid/56/Default.aspx and /tabid/56/ArticleId/123/slug.aspx
    r.add_get("/tabid/{tab_id:\\d+}/Default.aspx", content.default_aspx)
    r.add_get("/tabid/{tab_id:\\d+}/ArticleId/{article_id:\\d+}/{slug}", content.default_aspx)
    r.add_get("/blog/Post/{post_id:\\d+}/{slug}", content.blog_post_page)
    r.add_get("/Portals/{tail:.+}", content.portal_file)
    r.add_get("/LinkClick.aspx", content.link_click)
    r.add_post("/DesktopModules/Blog/BlogPost.ashx", metaweblog.metaweblog)
    add_service_route(r, "GET", "/Blog/RSS/Get", blog_feed)
    add_service_route(r, "GET", "/Announcements/Announcements/Current/{fmt}", announcements)
    add_service_route(r, "POST", "/JwtAuth/mobile/login", jwt_auth.login)
    add_service_route(r, "POST", "/JwtAuth/mobile/extendtoken", jwt_auth.extend_token)
    add_service_route(r, "POST", "/JwtAuth/mobile/logout", jwt_auth.logout)
    add_service_route(r, "GET", "/JwtAuth/mobile/logout", jwt_auth.logout)
    add_service_route(r, "POST", "/InternalServices/FileUpload/PostFile", services.post_file)
    add_service_route(r, "POST", "/SiteExportImport/ExportImport/Export", services.export)
    add_service_route(r, "GET", "/SiteExportImport/ExportImport/JobDetails", services.job_details)
    admin.add_routes(r)
    return app
