"""Small aiohttp servers on 127.0.0.1 for the HTTP layer tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiohttp import web

from connectors.http import HttpClient, HttpPolicy, Trust

Serve = Callable[[web.Application], Awaitable[str]]

# Fast retries so failure paths stay quick; real politeness is the default policy's job.
FAST = HttpPolicy(
    connect_timeout=2, read_timeout=2, total_timeout=10, attempts=3, backoff_base=0.01,
    backoff_max=0.05, retry_after_cap=2,
)  # fmt: skip

# The test servers' own address, on any port: what a site marked local trusts for its origin.
LOOPBACK = Trust(frozenset({("127.0.0.1", None)}))


def recording_app(hits: list[str], status: int = 200, text: str = "") -> web.Application:
    """An app answering every method and path alike, recording each request as host + path."""

    async def answer(request: web.Request) -> web.Response:
        hits.append(request.host + request.path)
        return web.Response(status=status, text=text)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    return app


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    runners: list[web.AppRunner] = []

    async def start(app: web.Application) -> str:
        runner = web.AppRunner(
            app, handler_cancellation=True, access_log=None, shutdown_timeout=0.1
        )
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        port = runner.addresses[0][1]
        return f"http://127.0.0.1:{port}"

    yield start
    for runner in runners:
        await runner.cleanup()


@pytest.fixture
async def http() -> AsyncIterator[HttpClient]:
    async with HttpClient(FAST) as client:
        yield client
