"""The HTTP helper against real local servers: retries, Retry-After, caps, redirects,
timeouts, conditional GET, per-host limits and the SSRF guard."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import pytest
from aiohttp import web

from connectors.errors import (
    Blocked,
    ConnectionFailed,
    FetchError,
    HttpStatus,
    Timeout,
    TooLarge,
    TooManyRedirects,
)
from connectors.http import HttpClient, MemoryValidatorStore, Validators
from connectors.http.retry_after import parse_retry_after
from tests.connectors.conftest import FAST, LOOPBACK, Serve

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def counting_app(
    handler_factory: Callable[[list[float]], Handler],
) -> tuple[web.Application, list[float]]:
    """An app answering every path with the factory's handler, which records its hits."""
    hits: list[float] = []
    app = web.Application()
    app.router.add_get("/{tail:.*}", handler_factory(hits))
    return app, hits


async def test_retries_transient_errors_then_succeeds(serve: Serve, http: HttpClient) -> None:
    def factory(hits: list[float]) -> Handler:
        async def handler(request: web.Request) -> web.Response:
            hits.append(time.monotonic())
            if len(hits) < 3:
                return web.Response(status=500 + len(hits) * 2)  # 502, then 504
            return web.Response(body=b"ok")

        return handler

    app, hits = counting_app(factory)
    base = await serve(app)
    response = await http.get(base + "/x", trust=LOOPBACK)
    assert (response.status, response.body, len(hits)) == (200, b"ok", 3)


async def test_gives_up_after_the_attempt_budget(serve: Serve, http: HttpClient) -> None:
    def factory(hits: list[float]) -> Handler:
        async def handler(request: web.Request) -> web.Response:
            hits.append(time.monotonic())
            return web.Response(status=500)

        return handler

    app, hits = counting_app(factory)
    base = await serve(app)
    with pytest.raises(HttpStatus) as caught:
        await http.get(base + "/x", trust=LOOPBACK)
    assert caught.value.code == 500 and len(hits) == FAST.attempts
    assert str(caught.value) == f"{base}/x: HTTP 500"


async def test_client_errors_are_not_retried(serve: Serve, http: HttpClient) -> None:
    def factory(hits: list[float]) -> Handler:
        async def handler(request: web.Request) -> web.Response:
            hits.append(time.monotonic())
            return web.Response(status=404)

        return handler

    app, hits = counting_app(factory)
    base = await serve(app)
    with pytest.raises(HttpStatus) as caught:
        await http.get(base + "/gone", trust=LOOPBACK)
    assert caught.value.code == 404 and len(hits) == 1


async def test_retry_after_is_honoured(serve: Serve, http: HttpClient) -> None:
    def factory(hits: list[float]) -> Handler:
        async def handler(request: web.Request) -> web.Response:
            hits.append(time.monotonic())
            if len(hits) == 1:
                return web.Response(status=429, headers={"Retry-After": "1"})
            return web.Response(body=b"later")

        return handler

    app, hits = counting_app(factory)
    base = await serve(app)
    response = await http.get(base + "/", trust=LOOPBACK)
    assert response.body == b"later"
    # The jittered backoff alone would retry within 0.05 s; the server asked for a second.
    assert hits[1] - hits[0] >= 0.95


async def test_retry_after_beyond_the_cap_is_reported_not_waited(
    serve: Serve, http: HttpClient
) -> None:
    def factory(hits: list[float]) -> Handler:
        async def handler(request: web.Request) -> web.Response:
            hits.append(time.monotonic())
            return web.Response(status=503, headers={"Retry-After": "3600"})

        return handler

    app, hits = counting_app(factory)
    base = await serve(app)
    with pytest.raises(HttpStatus) as caught:
        await http.get(base + "/", trust=LOOPBACK)
    assert (caught.value.code, caught.value.retry_after, len(hits)) == (503, 3600.0, 1)
    assert "retry after 3600s" in str(caught.value)


def test_parse_retry_after() -> None:
    now = datetime(2025, 5, 5, 2, 30, tzinfo=UTC)
    assert parse_retry_after("120", now) == 120.0
    assert parse_retry_after("Mon, 05 May 2025 02:31:30 GMT", now) == 90.0
    assert parse_retry_after("Mon, 05 May 2025 02:00:00 GMT", now) == 0.0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None


async def test_size_cap_streaming(serve: Serve) -> None:
    async def endless(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()  # chunked: no Content-Length to judge by
        await response.prepare(request)
        for _ in range(64):
            await response.write(b"x" * 16384)
        return response

    async def declared(request: web.Request) -> web.Response:
        return web.Response(body=b"y" * 200_000)

    app = web.Application()
    app.router.add_get("/endless", endless)
    app.router.add_get("/declared", declared)
    base = await serve(app)
    async with HttpClient(dataclasses.replace(FAST, max_bytes=100_000)) as http:
        with pytest.raises(TooLarge, match=r"body exceeds 100000 bytes$"):
            await http.get(base + "/endless", trust=LOOPBACK)
        with pytest.raises(TooLarge):
            await http.get(base + "/declared", trust=LOOPBACK)


async def test_redirects_followed_and_loops_and_chains_refused(
    serve: Serve, http: HttpClient
) -> None:
    async def redirect(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name == "a":
            raise web.HTTPFound("/r/b")
        if name == "b":
            raise web.HTTPMovedPermanently("/r/a")
        if name.startswith("chain"):
            raise web.HTTPFound(f"/r/chain{int(name[5:]) + 1}")
        if name == "start":
            raise web.HTTPFound("/final")
        raise web.HTTPNotFound()

    async def final(request: web.Request) -> web.Response:
        return web.Response(text="here")

    app = web.Application()
    app.router.add_get("/r/{name}", redirect)
    app.router.add_get("/final", final)
    base = await serve(app)
    response = await http.get(base + "/r/start", trust=LOOPBACK)
    assert (response.body, response.url) == (b"here", base + "/final")
    with pytest.raises(TooManyRedirects, match="redirect loop"):
        await http.get(base + "/r/a", trust=LOOPBACK)
    with pytest.raises(TooManyRedirects, match=f"more than {FAST.max_redirects} redirects"):
        await http.get(base + "/r/chain0", trust=LOOPBACK)


async def test_stalled_response_times_out_and_is_retried(serve: Serve) -> None:
    hits: list[int] = []

    async def stall(request: web.Request) -> web.StreamResponse:
        hits.append(1)
        response = web.StreamResponse()
        await response.prepare(request)
        await response.write(b"partial")
        await asyncio.sleep(30)  # cancelled when the client goes away or the server stops
        return response

    app = web.Application()
    app.router.add_get("/", stall)
    base = await serve(app)
    policy = dataclasses.replace(FAST, read_timeout=0.2, attempts=2)
    async with HttpClient(policy) as http:
        with pytest.raises(Timeout, match="timed out"):
            await http.get(base + "/", trust=LOOPBACK)
    assert len(hits) == 2


async def test_connection_reset_is_retried(serve: Serve, http: HttpClient) -> None:
    def factory(hits: list[float]) -> Handler:
        async def handler(request: web.Request) -> web.Response:
            hits.append(time.monotonic())
            if len(hits) == 1:
                assert request.transport is not None
                request.transport.abort()  # drop the connection without an answer
                await asyncio.sleep(1)
            return web.Response(text="second time")

        return handler

    app, hits = counting_app(factory)
    base = await serve(app)
    assert (await http.get(base + "/", trust=LOOPBACK)).body == b"second time"
    assert len(hits) == 2


async def test_connection_refused_is_a_fetch_error(http: HttpClient) -> None:
    # Port 9 (discard) on loopback: nothing listens there on these machines.
    with pytest.raises(ConnectionFailed):
        await http.get("http://127.0.0.1:9/", trust=LOOPBACK)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://127.0.0.1:99999/", "invalid URL"),
        ("http://[::1/", "invalid URL"),
        ("ftp://127.0.0.1/file", r"not an http\(s\) URL"),
        ("/relative/path", r"not an http\(s\) URL"),
    ],
)
async def test_unusable_urls_are_fetch_errors(http: HttpClient, url: str, problem: str) -> None:
    # URLs come from remote content: a bad one is one failed item, never an unexpected crash
    with pytest.raises(FetchError, match=problem):
        await http.get(url, trust=LOOPBACK)


async def test_conditional_get_round_trip(serve: Serve, http: HttpClient) -> None:
    seen: list[tuple[str | None, str | None]] = []

    async def handler(request: web.Request) -> web.Response:
        seen.append(
            (request.headers.get("If-None-Match"), request.headers.get("If-Modified-Since"))
        )
        if request.headers.get("If-None-Match") == '"v1"':
            return web.Response(status=304, headers={"ETag": '"v1"'})
        return web.Response(
            body=b"content",
            headers={"ETag": '"v1"', "Last-Modified": "Mon, 05 May 2025 02:30:00 GMT"},
        )

    app = web.Application()
    app.router.add_get("/doc", handler)
    base = await serve(app)
    store = MemoryValidatorStore()
    first = await http.get(base + "/doc", validators=store, trust=LOOPBACK)
    assert (first.body, first.not_modified) == (b"content", False)
    assert store.data[base + "/doc"] == Validators('"v1"', "Mon, 05 May 2025 02:30:00 GMT")
    second = await http.get(base + "/doc", validators=store, trust=LOOPBACK)
    assert (second.status, second.not_modified, second.body) == (304, True, b"")
    assert seen == [(None, None), ('"v1"', "Mon, 05 May 2025 02:30:00 GMT")]
    unconditional = await http.get(base + "/doc", trust=LOOPBACK)
    assert unconditional.body == b"content"


async def test_per_host_concurrency_limit(serve: Serve) -> None:
    inflight = 0
    peak = 0

    async def handler(request: web.Request) -> web.Response:
        nonlocal inflight, peak
        inflight += 1
        peak = max(peak, inflight)
        await asyncio.sleep(0.05)
        inflight -= 1
        return web.Response(text="x")

    app = web.Application()
    app.router.add_get("/{n}", handler)
    base = await serve(app)
    async with HttpClient(dataclasses.replace(FAST, per_host=2)) as http:
        await asyncio.gather(*(http.get(f"{base}/{n}", trust=LOOPBACK) for n in range(8)))
    assert peak == 2


async def test_ssrf_guard_refuses_private_addresses(serve: Serve, http: HttpClient) -> None:
    hits: list[int] = []

    async def handler(request: web.Request) -> web.Response:
        hits.append(1)
        return web.Response(text="secret")

    app = web.Application()
    app.router.add_get("/", handler)
    base = await serve(app)
    port = base.rsplit(":", 1)[1]
    for url in (base + "/", f"http://localhost:{port}/", f"http://[::1]:{port}/"):
        with pytest.raises(Blocked, match="non-public address"):
            await http.get(url)
    assert hits == []
    assert (await http.get(base + "/", trust=LOOPBACK)).body == b"secret"


async def test_ssrf_guard_checks_redirect_targets(serve: Serve, http: HttpClient) -> None:
    hits: list[str] = []

    async def handler(request: web.Request) -> web.Response:
        hits.append(request.path)
        if request.path == "/":
            port = request.url.port
            raise web.HTTPFound(f"http://localhost:{port}/secret")
        return web.Response(text="secret")

    app = web.Application()
    app.router.add_get("/{tail:.*}", handler)
    base = await serve(app)
    # The site's own host is trusted as local; a redirect to another private host is not.
    with pytest.raises(Blocked, match="host localhost resolves to non-public address"):
        await http.get(base + "/", trust=LOOPBACK)
    assert hits == ["/"]


async def test_post_json_returns_error_statuses(serve: Serve, http: HttpClient) -> None:
    async def login(request: web.Request) -> web.Response:
        body = await request.json()
        if body == {"u": "a", "p": "b"}:
            return web.json_response({"ok": True})
        return web.Response(status=401, headers={"WWW-Authenticate": "Bearer bad-credentials"})

    app = web.Application()
    app.router.add_post("/login", login)
    base = await serve(app)
    good = await http.post_json(base + "/login", {"u": "a", "p": "b"}, trust=LOOPBACK)
    bad = await http.post_json(base + "/login", {"u": "a", "p": "x"}, trust=LOOPBACK)
    assert (good.status, good.body) == (200, b'{"ok": true}')
    assert (bad.status, bad.headers["WWW-Authenticate"]) == (401, "Bearer bad-credentials")
