"""MetaWeblog XML-RPC endpoint of the DNN Blog module (BlogPost.ashx), as the real one behaves.

Facts from the module's source (DNNCommunity/DNN.Blog, blogpost.ashx.vb, served by
XML-RPC.NET 2.5), in our own words; syncd's writer depends on each of them:

- Every failure is a fault with code 0 inside an HTTP 200, the message being the only
  difference: a bad login, a missing post (a .NET null-reference message), a wrong number
  of parameters, a struct without a required member alike.
- The Post struct requires title, description and dateCreated; dateCreated has no time zone
  and is read as the user's local time (here the portal's UTC offset), then stored in UTC.
- newPost stores the post before it handles files and terms, so a failure late in newPost
  leaves the post behind (the SAVE_THEN_FAULT fault reproduces that).
- Categories are matched by exact name against the module's vocabulary; unknown names are
  silently dropped, never created. Keywords (mt_keywords) would be created as tags.
- The default summary model (HtmlIndependent) ignores mt_excerpt.
- getRecentPosts ignores the count it is given and answers the module's WLWRecentPostsMax
  (10) newest posts by publication date, drafts included.
- getPost answers dateCreated as the creation time shifted by the time zone once more (a
  bug), and the publication date, in UTC, as pubDate and date_created_gmt; it turns
  ``src="/`` into ``src="http://{host}/`` (no port).
- blogger.deletePost answers false even when it deleted the post.
- The body is stored verbatim: no HTML is stripped. Files: see metaweblog_files.
"""

from __future__ import annotations

import dataclasses
import xmlrpc.client
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from . import words
from .config import SimUser
from .content import Article, blog_path
from .faults import FaultKind
from .keys import STRUCK, state_of
from .metaweblog_files import attach_files, save_upload, take_main_image
from .phrases import capitalise, slugify
from .state import SiteState

FAULT_CODE = 0
RECENT_POSTS_MAX = 10
VOCABULARY = tuple(sorted(capitalise(topic) for topic in words.TOPICS))

LOGIN_REFUSED = "Either the username or the password is invalid. "
NULL_REFERENCE = "Object reference not set to an instance of an object."
CREATE_ERROR = "There was an error adding this new item."


class RpcFault(Exception):
    """A fault as XML-RPC.NET sends it: always code 0."""


def _login(state: SiteState, username: object, password: object) -> SimUser:
    user = state.config.user(str(username))
    if user is None or user.password != str(password):
        raise RpcFault(LOGIN_REFUSED)
    return user


def _post(state: SiteState, post_id: object) -> Article:
    try:
        found = state.blog.find(int(str(post_id)))
    except ValueError as err:
        raise RpcFault(f"Input string was not in a correct format. ({err})") from err
    if found is None:
        raise RpcFault(NULL_REFERENCE)
    return found


def _required(struct: object) -> dict[str, Any]:
    if not isinstance(struct, dict):
        raise RpcFault("request contains invalid value for struct parameter")
    for member in ("title", "description", "dateCreated"):
        if member not in struct:
            raise RpcFault(
                f"request contains struct value with missing non-optional member {member}"
            )
    if not isinstance(struct["dateCreated"], datetime):
        raise RpcFault("request contains invalid dateTime value for member dateCreated")
    return struct


def _to_utc(state: SiteState, local: datetime) -> datetime:
    if local.tzinfo is not None:
        # a Kind=Utc DateTime makes TimeZoneInfo.ConvertTimeToUtc throw for a non-UTC zone
        raise RpcFault(CREATE_ERROR)
    return (local - timedelta(hours=state.config.utc_offset_hours)).replace(tzinfo=UTC)


def _terms(struct: dict[str, Any]) -> tuple[str, ...]:
    wanted = [str(name).strip() for name in struct.get("categories") or ()]
    return tuple(name for name in wanted if name in VOCABULARY)


def _struct(state: SiteState, post: Article) -> dict[str, Any]:
    url = state.require_base_url() + post.path
    host = state.require_base_url().split("//", 1)[1].split(":", 1)[0]
    body = state.resolve(post).body_html.replace('src="/', f'src="http://{host}/')
    published = post.published.astimezone(UTC).replace(tzinfo=None)
    return {
        "postid": str(post.article_id),
        "title": post.title,
        "description": body,
        "categories": list(post.terms),
        "dateCreated": published - timedelta(hours=state.config.utc_offset_hours),
        "pubDate": published,
        "date_created_gmt": published,
        "link": url,
        "permalink": url,
        "publish": post.is_published,
        "mt_keywords": "",
        "mt_allow_comments": 1,
        "mt_allow_pings": 0,
    }


def _saved(state: SiteState, post: Article, body: str) -> Article:
    body = attach_files(state, post.article_id, body)
    body, main_image = take_main_image(body)
    images = (main_image,) if main_image else ()
    return state.blog.put(dataclasses.replace(post, body=body, image_paths=images))


def new_post(state: SiteState, params: tuple[Any, ...]) -> str:
    _blog_id, username, password, struct, publish = params
    user = _login(state, username, password)
    struct = _required(struct)
    now = state.stamp()
    post_id = state.blog.next_id()
    title = str(struct["title"])
    slug = slugify(title) or f"post-{post_id}"
    terms = _terms(struct)
    article = Article(
        article_id=post_id,
        kind="blog",
        title=title,
        slug=slug,
        path=blog_path(post_id, slug),
        summary="",
        body=str(struct["description"]),
        author=user.display_name,
        category=terms[0] if terms else "",
        terms=terms,
        published=_to_utc(state, struct["dateCreated"]),
        modified=now,
        is_published=bool(publish),
    )
    state.blog.put(article)
    if FaultKind.SAVE_THEN_FAULT in STRUCK.get():
        raise RpcFault(CREATE_ERROR)
    _saved(state, article, str(struct["description"]))
    return str(post_id)


def edit_post(state: SiteState, params: tuple[Any, ...]) -> bool:
    post_id, username, password, struct, publish = params
    _login(state, username, password)
    struct = _required(struct)
    post = _post(state, post_id)
    title = str(struct["title"])
    terms = _terms(struct)
    changed = dataclasses.replace(
        post,
        title=title,
        slug=slugify(title) or post.slug,
        path=blog_path(post.article_id, slugify(title) or post.slug),
        terms=terms,
        category=terms[0] if terms else "",
        published=_to_utc(state, struct["dateCreated"]),
        modified=state.stamp(),
        is_published=bool(publish),
    )
    _saved(state, changed, str(struct["description"]))
    return True


def get_post(state: SiteState, params: tuple[Any, ...]) -> dict[str, Any]:
    post_id, username, password = params
    _login(state, username, password)
    return _struct(state, _post(state, post_id))


def get_recent_posts(state: SiteState, params: tuple[Any, ...]) -> list[dict[str, Any]]:
    blog_id, username, password, _count = params
    _login(state, username, password)
    _post_id_format(blog_id)
    posts = sorted(
        state.blog.all(include_drafts=True),
        key=lambda p: (p.published, p.article_id),
        reverse=True,
    )
    return [_struct(state, p) for p in posts[:RECENT_POSTS_MAX]]


def _post_id_format(value: object) -> None:
    try:
        int(str(value))
    except ValueError as err:
        raise RpcFault(f"Input string was not in a correct format. ({err})") from err


def new_media_object(state: SiteState, params: tuple[Any, ...]) -> dict[str, str]:
    _blog_id, username, password, media = params
    _login(state, username, password)
    if not isinstance(media, dict) or not {"name", "type", "bits"} <= media.keys():
        raise RpcFault("request contains struct value with missing non-optional member")
    name, bits = str(media["name"]), media["bits"]
    if not isinstance(bits, bytes):
        raise RpcFault("request contains invalid value for member bits")
    path = save_upload(state, name, str(media["type"]), bits)
    if path is None:
        raise RpcFault(f"File {name} refused. Uploading this type of file is not allowed.")
    return {"url": path}


def delete_post(state: SiteState, params: tuple[Any, ...]) -> bool:
    _app_key, post_id, username, password, _publish = params
    _login(state, username, password)
    state.blog.delete(_post(state, post_id).article_id)
    state.stamp()
    return False  # the module never sets its success flag


def get_users_blogs(state: SiteState, params: tuple[Any, ...]) -> list[dict[str, str]]:
    _app_key, username, password = params
    _login(state, username, password)
    url = state.require_base_url() + "/blog"
    return [{"blogid": "1", "blogName": state.config.name, "url": url}]


def get_categories(state: SiteState, params: tuple[Any, ...]) -> list[dict[str, str]]:
    _blog_id, username, password = params
    _login(state, username, password)
    return [
        {"description": term, "htmlUrl": "http://google.com", "rssUrl": "http://google.com"}
        for term in VOCABULARY
    ]


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
            raise RpcFault(f"unsupported method called: {method}")
        try:
            result = handler(state, params)
        except ValueError as err:  # tuple unpacking: XML-RPC.NET checks the parameter count
            raise RpcFault(f"request for {method} contains the wrong number of params") from err
        text = xmlrpc.client.dumps((result,), methodresponse=True)
    except RpcFault as fault:
        text = xmlrpc.client.dumps(xmlrpc.client.Fault(FAULT_CODE, str(fault)))
    except Exception as err:  # a malformed request body: the library answers a fault too
        text = xmlrpc.client.dumps(xmlrpc.client.Fault(FAULT_CODE, f"bad request: {err}"))
    return web.Response(text=text, content_type="text/xml", charset="utf-8")
