"""MetaWeblog XML-RPC endpoint of the DNN Blog module (BlogPost.ashx).

Credentials travel inside every call; failures are XML-RPC faults, not HTTP errors.
"""

from __future__ import annotations

import dataclasses
import xmlrpc.client
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from .config import SimUser
from .content import Article, blog_path
from .keys import state_of
from .media import MediaFile, content_type_for
from .phrases import slugify
from .state import SiteState

FAULT_AUTH = 801
FAULT_NOT_FOUND = 404
FAULT_BAD_CALL = 400


class RpcFault(Exception):
    def __init__(self, code: int, message: str) -> None:
        self.code = code
        super().__init__(message)


def _login(state: SiteState, username: object, password: object) -> SimUser:
    user = state.config.user(str(username))
    if user is None or user.password != str(password):
        raise RpcFault(FAULT_AUTH, "Access denied: invalid user name or password")
    return user


def _post(state: SiteState, post_id: object) -> Article:
    try:
        found = state.blog.find(int(str(post_id)))
    except ValueError:
        found = None
    if found is None:
        raise RpcFault(FAULT_NOT_FOUND, f"Post {post_id} not found")
    return found


def _struct(state: SiteState, post: Article) -> dict[str, Any]:
    url = state.require_base_url() + post.path
    return {
        "postid": str(post.article_id),
        "title": post.title,
        "description": state.resolve(post).body_html,
        "mt_excerpt": post.summary,
        "categories": list(post.terms),
        "dateCreated": post.published.replace(tzinfo=None),
        "link": url,
        "permaLink": url,
        "userid": post.author,
        "post_status": "publish" if post.is_published else "draft",
    }


def _when(value: object, default: datetime) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return default


def new_post(state: SiteState, params: tuple[Any, ...]) -> str:
    _blog_id, username, password, struct, publish = params
    user = _login(state, username, password)
    now = state.stamp()
    post_id = state.blog.next_id()
    title = str(struct.get("title", ""))
    slug = slugify(title) or f"post-{post_id}"
    terms = tuple(str(t) for t in struct.get("categories", []))
    article = Article(
        article_id=post_id,
        kind="blog",
        title=title,
        slug=slug,
        path=blog_path(post_id, slug),
        summary=str(struct.get("mt_excerpt", "")),
        body=str(struct.get("description", "")),
        author=user.display_name,
        category=terms[0] if terms else "",
        terms=terms,
        published=_when(struct.get("dateCreated"), now),
        modified=now,
        is_published=bool(publish),
    )
    state.blog.put(article)
    return str(post_id)


def edit_post(state: SiteState, params: tuple[Any, ...]) -> bool:
    post_id, username, password, struct, publish = params
    _login(state, username, password)
    post = _post(state, post_id)
    changes: dict[str, Any] = {"modified": state.stamp(), "is_published": bool(publish)}
    if "title" in struct:
        changes["title"] = str(struct["title"])
        changes["slug"] = slugify(changes["title"]) or post.slug
        changes["path"] = blog_path(post.article_id, changes["slug"])
    if "description" in struct:
        changes["body"] = str(struct["description"])
    if "mt_excerpt" in struct:
        changes["summary"] = str(struct["mt_excerpt"])
    if "categories" in struct:
        changes["terms"] = tuple(str(t) for t in struct["categories"])
    state.blog.put(dataclasses.replace(post, **changes))
    return True


def get_post(state: SiteState, params: tuple[Any, ...]) -> dict[str, Any]:
    post_id, username, password = params
    _login(state, username, password)
    return _struct(state, _post(state, post_id))


def get_recent_posts(state: SiteState, params: tuple[Any, ...]) -> list[dict[str, Any]]:
    _blog_id, username, password, count = params
    _login(state, username, password)
    posts = sorted(
        state.blog.all(include_drafts=True),
        key=lambda p: (p.published, p.article_id),
        reverse=True,
    )
    return [_struct(state, p) for p in posts[: int(count)]]


def new_media_object(state: SiteState, params: tuple[Any, ...]) -> dict[str, str]:
    _blog_id, username, password, media = params
    _login(state, username, password)
    name = str(media.get("name", "")).replace("\\", "/").rsplit("/", 1)[-1]
    bits = media.get("bits")
    if not name or not isinstance(bits, bytes):
        raise RpcFault(FAULT_BAD_CALL, "newMediaObject needs a name and bits")
    path = f"/Portals/{state.config.portal_id}/Blog/Files/1/media/{name}"
    when = state.stamp()
    kind = str(media.get("type") or content_type_for(path))
    state.media.add(MediaFile(state.media.next_id(), path, kind, when, 0, len(bits), bits))
    return {"url": state.require_base_url() + path}


def delete_post(state: SiteState, params: tuple[Any, ...]) -> bool:
    _app_key, post_id, username, password = params[:4]
    _login(state, username, password)
    state.blog.delete(_post(state, post_id).article_id)
    state.stamp()
    return True


def get_users_blogs(state: SiteState, params: tuple[Any, ...]) -> list[dict[str, str]]:
    _app_key, username, password = params[:3]
    _login(state, username, password)
    url = state.require_base_url() + "/blog"
    return [{"blogid": "1", "blogName": state.config.name, "url": url}]


def get_categories(state: SiteState, params: tuple[Any, ...]) -> list[dict[str, str]]:
    _blog_id, username, password = params[:3]
    _login(state, username, password)
    terms = sorted({t for p in state.blog.all(include_drafts=True) for t in p.terms})
    return [{"title": t, "description": t} for t in terms]


METHODS: dict[str, Callable[[SiteState, tuple[Any, ...]], Any]] = {
    "metaWeblog.newPost": new_post,
    "metaWeblog.editPost": edit_post,
    "metaWeblog.getPost": get_post,
    "metaWeblog.getRecentPosts": get_recent_posts,
    "metaWeblog.newMediaObject": new_media_object,
    "metaWeblog.getCategories": get_categories,
    "blogger.deletePost": delete_post,
    "blogger.getUsersBlogs": get_users_blogs,
}


async def metaweblog(request: web.Request) -> web.Response:
    state = state_of(request)
    try:
        params, method = xmlrpc.client.loads(await request.read(), use_builtin_types=True)
        handler = METHODS.get(method or "")
        if handler is None:
            raise RpcFault(FAULT_BAD_CALL, f"unknown method {method}")
        try:
            result = handler(state, params)
        except (ValueError, TypeError, AttributeError) as err:
            raise RpcFault(FAULT_BAD_CALL, f"bad parameters for {method}: {err}") from err
        text = xmlrpc.client.dumps((result,), methodresponse=True, allow_none=True)
    except RpcFault as fault:
        text = xmlrpc.client.dumps(xmlrpc.client.Fault(fault.code, str(fault)))
    except Exception as err:  # a malformed request body is the caller's fault
        text = xmlrpc.client.dumps(xmlrpc.client.Fault(FAULT_BAD_CALL, f"bad request: {err}"))
    return web.Response(text=text, content_type="text/xml", charset="utf-8")
