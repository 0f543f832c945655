"""The DNN Blog module's RSS (/API/Blog/RSS/Get): namespaced RSS 2.0 with full bodies."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from xml.sax.saxutils import escape, quoteattr

from aiohttp import web

from .content import Article
from .http_cache import conditional_response, http_date, make_etag
from .keys import listings_empty, state_of
from .rss_core import last_change

NAMESPACES = {
    "blog": "http://dnn-connect.org/blog/",
    "atom": "http://www.w3.org/2005/Atom",
    "media": "http://search.yahoo.com/mrss/",
    "content": "http://purl.org/rss/1.0/modules/content/",
}


def cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def local_labelled_gmt(when: datetime, utc_offset_hours: int) -> str:
    """The module's quirk: server local time printed with a 'GMT' label."""
    return http_date(when + timedelta(hours=utc_offset_hours))


def render_blog_feed(
    title: str,
    base_url: str,
    self_url: str,
    posts: Sequence[Article],
    with_body: bool,
    channel_date: datetime,
    utc_offset_hours: int,
) -> str:
    spaces = ["blog", "atom", "media"] + (["content"] if with_body else [])
    decl = " ".join(f'xmlns:{p}="{NAMESPACES[p]}"' for p in spaces)
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<rss version="2.0" {decl}>',
        "<channel>",
        f"<title>{escape(title)}</title>",
        f"<link>{escape(base_url)}/blog</link>",
        f"<description>{escape(title)}</description>",
        "<language>vi-VN</language>",
        f"<pubDate>{local_labelled_gmt(channel_date, utc_offset_hours)}</pubDate>",
        "<generator>DNN Blog module</generator>",
        f'<atom:link href={quoteattr(self_url)} rel="self" type="application/rss+xml" />',
    ]
    for post in posts:
        link = escape(base_url + post.path)
        lines += [
            "<item>",
            f"<title>{escape(post.title)}</title>",
            f"<link>{link}</link>",
            f"<description>{escape(post.summary)}</description>",
            f"<author>{escape(post.author)}</author>",
            *(f"<category>{escape(term)}</category>" for term in post.terms),
            f'<guid isPermaLink="true">{link}</guid>',
            f"<pubDate>{http_date(post.published)}</pubDate>",
        ]
        if post.image_paths:
            thumb = quoteattr(base_url + post.image_paths[0])
            lines.append(f'<media:thumbnail url={thumb} width="400" height="300" />')
        if with_body:
            lines.append(f"<content:encoded>{cdata(post.body_html)}</content:encoded>")
        lines.append("</item>")
    lines += ["</channel>", "</rss>", ""]
    return "\n".join(lines)


def _matches_term(post: Article, term: str) -> bool:
    wanted = term.strip().lower()
    return any(t.lower() == wanted for t in post.terms)


async def blog_feed(request: web.Request) -> web.Response:
    state = state_of(request)
    c = state.config
    q = request.query
    ours = q.get("moduleid", str(c.blog_module_id)) == str(c.blog_module_id)
    try:
        recs = max(1, int(q.get("recs", "20")))
    except ValueError:
        recs = 20
    with_body = q.get("body", "false").lower() == "true"
    posts: list[Article] = []
    if ours and not listings_empty(request):
        candidates = state.blog.newest(len(state.blog.ids()))
        term = q.get("term", "")
        posts = [p for p in candidates if not term or _matches_term(p, term)][:recs]
    posts = [state.resolve(p) for p in posts]
    base = state.require_base_url()
    channel_date = last_change(posts, state.touched_at)
    text = render_blog_feed(
        c.name, base, str(request.url), posts, with_body, channel_date, c.utc_offset_hours
    )
    body = text.encode("utf-8")
    return conditional_response(
        request, body, "application/rss+xml", "utf-8", make_etag(body, state.generation),
        channel_date,
    )
