"""Announcements module API: current items as RSS, Atom or JSON (ModuleId/TabId headers)."""

from __future__ import annotations

import json
from datetime import datetime
from xml.sax.saxutils import escape, quoteattr

from aiohttp import web

from .announcements_data import Announcement
from .http_cache import conditional_response, http_date, make_etag
from .keys import listings_empty, state_of
from .state import SiteState


def _iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def current(state: SiteState, now: datetime) -> list[Announcement]:
    live = [
        a
        for a in state.announcements
        if a.publish <= now and (a.expire is None or a.expire > now)
    ]
    return sorted(live, key=lambda a: a.publish, reverse=True)


def render_rss(title: str, base: str, items: list[Announcement]) -> str:
    lines = ['<?xml version="1.0" encoding="utf-8"?>', '<rss version="2.0">', "<channel>",
             f"<title>{escape(title)}</title>", f"<link>{escape(base)}/</link>",
             f"<description>{escape(title)}</description>"]
    for a in items:
        lines += ["<item>", f"<title>{escape(a.title)}</title>",
                  f"<link>{escape(base + a.url)}</link>",
                  f"<description>{escape(a.description_html)}</description>",
                  f"<pubDate>{http_date(a.publish)}</pubDate>",
                  f'<guid isPermaLink="false">announcement-{a.item_id}</guid>', "</item>"]
    lines += ["</channel>", "</rss>", ""]
    return "\n".join(lines)


def render_atom(title: str, base: str, items: list[Announcement], updated: datetime) -> str:
    lines = ['<?xml version="1.0" encoding="utf-8"?>',
             '<feed xmlns="http://www.w3.org/2005/Atom">',
             f"<title>{escape(title)}</title>", f"<id>{escape(base)}/announcements</id>",
             f"<updated>{_iso(updated)}</updated>", f"<link href={quoteattr(base + '/')} />"]
    for a in items:
        lines += ["<entry>", f"<id>{escape(base)}/announcements/{a.item_id}</id>",
                  f"<title>{escape(a.title)}</title>",
                  f"<link href={quoteattr(base + a.url)} />",
                  f"<published>{_iso(a.publish)}</published>",
                  f"<updated>{_iso(a.publish)}</updated>",
                  f"<author><name>{escape(a.created_by)}</name></author>",
                  f'<content type="html">{escape(a.description_html)}</content>', "</entry>"]
    lines += ["</feed>", ""]
    return "\n".join(lines)


def as_json(base: str, module_id: int, a: Announcement) -> dict[str, object]:
    return {"ItemID": a.item_id, "ModuleID": module_id, "Title": a.title,
            "Description": a.description_html, "URL": base + a.url,
            "PublishDate": _iso(a.publish),
            "ExpireDate": _iso(a.expire) if a.expire else None,
            "CreatedByUser": a.created_by}


def _param(request: web.Request, name: str) -> str | None:
    return request.headers.get(name) or request.query.get(name) or request.query.get(name.lower())


async def announcements(request: web.Request) -> web.Response:
    state = state_of(request)
    module = _param(request, "ModuleId")
    if module is None or _param(request, "TabId") is None:
        return web.json_response({"Message": "ModuleId and TabId are required"}, status=400)
    if module != str(state.config.announcements_module_id):
        return web.json_response({"Message": "No module with this ModuleId on the tab"}, status=404)
    base = state.require_base_url()
    items = [] if listings_empty(request) else current(state, state.clock.now())
    updated = max([state.touched_at, *(a.publish for a in items)])
    fmt = request.match_info["fmt"].lower()
    if fmt == "json":
        data = [as_json(base, state.config.announcements_module_id, a) for a in items]
        # Newtonsoft writes raw UTF-8, not \u escapes.
        body = json.dumps(data, ensure_ascii=False).encode()
        ctype, etag = "application/json", make_etag(body, state.generation)
    elif fmt == "rss":
        body = render_rss(state.config.name, base, items).encode()
        ctype, etag = "application/rss+xml", make_etag(body, state.generation)
    elif fmt == "atom":
        body = render_atom(state.config.name, base, items, updated).encode()
        ctype, etag = "application/atom+xml", make_etag(body, state.generation)
    else:
        raise web.HTTPNotFound()
    return conditional_response(request, body, ctype, "utf-8", etag, updated)
