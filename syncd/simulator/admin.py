"""A small JSON admin API under /__sim/ for demos: inspect, mutate, switch faults, move time."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from . import mutations
from .content import Article
from .errors import SimulatorError
from .faults import Fault, FaultKind
from .keys import state_of

PREFIX = "/__sim"


def _article_json(base: str, article: Article) -> dict[str, Any]:
    return {
        "id": article.article_id,
        "title": article.title,
        "url": base + article.path,
        "published": article.published.isoformat(),
        "modified": article.modified.isoformat(),
        "is_published": article.is_published,
        "image_paths": list(article.image_paths),
        "document_paths": list(article.document_paths),
    }


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        data = await request.json()
    except ValueError as err:
        raise web.HTTPBadRequest(text="body must be a JSON object") from err
    if not isinstance(data, dict):
        raise web.HTTPBadRequest(text="body must be a JSON object")
    return data


def _fail(err: Exception) -> web.Response:
    return web.json_response({"error": str(err)}, status=400)


async def info(request: web.Request) -> web.Response:
    state = state_of(request)
    return web.json_response(
        {
            "name": state.config.name,
            "base_url": state.require_base_url(),
            "seed": state.config.seed,
            "articles": len(state.news.ids()),
            "now": state.clock.now().isoformat(),
            "faults": [f.kind.value for f in state.faults.active()],
        }
    )


async def list_articles(request: web.Request) -> web.Response:
    state = state_of(request)
    base = state.require_base_url()
    return web.json_response([_article_json(base, a) for a in state.news.all(True)])


async def add_article(request: web.Request) -> web.Response:
    state = state_of(request)
    data = await _body(request)
    if not isinstance(data.get("title"), str):
        return _fail(ValueError("title (string) is required"))
    article = mutations.add_article(
        state, data["title"], data.get("body_html"), data.get("summary"),
        data.get("category", "Tin tức - Sự kiện"),
    )
    return web.json_response(_article_json(state.require_base_url(), article), status=201)


def _id(request: web.Request) -> int:
    try:
        return int(request.match_info["article_id"])
    except ValueError as err:
        raise web.HTTPBadRequest(text="article id must be an integer") from err


async def edit_article(request: web.Request) -> web.Response:
    state = state_of(request)
    data = await _body(request)
    try:
        article = mutations.edit_article(
            state, _id(request), data.get("title"), data.get("body_html"), data.get("summary")
        )
    except SimulatorError as err:
        return _fail(err)
    return web.json_response(_article_json(state.require_base_url(), article))


async def delete_article(request: web.Request) -> web.Response:
    try:
        mutations.delete_article(state_of(request), _id(request))
    except SimulatorError as err:
        return _fail(err)
    return web.json_response({"deleted": int(request.match_info["article_id"])})


async def touch(request: web.Request) -> web.Response:
    mutations.touch(state_of(request))
    return web.json_response({"generation": state_of(request).generation})


async def add_fault(request: web.Request) -> web.Response:
    data = await _body(request)
    try:
        kind = FaultKind(data.pop("kind", ""))
        if "paths" in data:
            data["paths"] = tuple(data["paths"])
        fault = state_of(request).faults.add(Fault(kind, **data))
    except (ValueError, TypeError, SimulatorError) as err:
        return _fail(err)
    return web.json_response({"kind": fault.kind.value}, status=201)


async def clear_faults(request: web.Request) -> web.Response:
    kind = request.match_info.get("kind")
    faults = state_of(request).faults
    if kind:
        try:
            faults.remove(FaultKind(kind))
        except ValueError as err:
            return _fail(err)
    else:
        faults.clear()
    return web.json_response({"faults": [f.kind.value for f in faults.active()]})


async def advance_clock(request: web.Request) -> web.Response:
    data = await _body(request)
    state = state_of(request)
    try:
        state.clock.advance(float(data.get("seconds", 0)))
    except (TypeError, ValueError) as err:
        return _fail(err)
    return web.json_response({"now": state.clock.now().isoformat()})


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get(f"{PREFIX}/", info)
    router.add_get(f"{PREFIX}/articles", list_articles)
    router.add_post(f"{PREFIX}/articles", add_article)
    router.add_patch(f"{PREFIX}/articles/{{article_id}}", edit_article)
    router.add_put(f"{PREFIX}/articles/{{article_id}}", edit_article)
    router.add_delete(f"{PREFIX}/articles/{{article_id}}", delete_article)
    router.add_post(f"{PREFIX}/touch", touch)
    router.add_post(f"{PREFIX}/faults", add_fault)
    router.add_delete(f"{PREFIX}/faults", clear_faults)
    router.add_delete(f"{PREFIX}/faults/{{kind}}", clear_faults)
    router.add_post(f"{PREFIX}/clock", advance_clock)
