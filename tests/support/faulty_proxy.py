"""A reverse proxy on 127.0.0.1 that breaks requests on purpose, in front of a real server.

Modes for the next `count` requests (or every request when `count` is None):
- "error": answer 500 InternalError without forwarding;
- "drop": read the request, then close the connection without answering;
- "drop-after": forward the request (so it takes effect upstream), then close the
  connection without answering: the client cannot tell that its write landed.

Requests are forwarded byte for byte, Host header included, so SigV4 signatures still hold.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import aiohttp
from aiohttp import web
from yarl import URL

Mode = Literal["error", "drop", "drop-after"]

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "upgrade"}
_INTERNAL_ERROR = (
    b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code>'
    b"<Message>injected by the test proxy</Message></Error>"
)


@dataclass
class FaultyProxy:
    upstream: str
    mode: Mode = "error"
    remaining: int | None = 0  # faults still to inject; None: every request fails
    requests: int = 0  # every request that reached the proxy
    faults: int = 0  # of which were broken on purpose
    _runner: web.AppRunner | None = field(default=None, repr=False)
    _session: aiohttp.ClientSession | None = field(default=None, repr=False)
    url: str = ""

    def fail(self, mode: Mode, count: int | None) -> None:
        self.mode, self.remaining = mode, count

    async def start(self) -> str:
        # no automatic decompression: bodies pass through exactly as the server sent them
        self._session = aiohttp.ClientSession(auto_decompress=False)
        app = web.Application(client_max_size=1 << 30)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    def _take_fault(self) -> bool:
        if self.remaining is None:
            return True
        if self.remaining > 0:
            self.remaining -= 1
            return True
        return False

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.requests += 1
        body = await request.read()
        faulty = self._take_fault()
        if faulty:
            self.faults += 1
        if faulty and self.mode == "error":
            return web.Response(status=500, body=_INTERNAL_ERROR, content_type="application/xml")
        if faulty and self.mode == "drop":
            return self._drop(request)
        response = await self._forward(request, body)
        if faulty:  # "drop-after": the upstream has acted, the client never hears of it
            return self._drop(request)
        return response

    @staticmethod
    def _drop(request: web.Request) -> web.StreamResponse:
        assert request.transport is not None
        request.transport.abort()
        return web.Response(status=599)  # never reaches the client

    async def _forward(self, request: web.Request, body: bytes) -> web.Response:
        assert self._session is not None
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
        async with self._session.request(
            request.method,
            URL(self.upstream + request.raw_path, encoded=True),
            headers=headers,
            data=body if body else None,
            allow_redirects=False,
            skip_auto_headers=("Accept-Encoding", "User-Agent", "Content-Type"),
        ) as upstream:
            payload = await upstream.read()
            out = {k: v for k, v in upstream.headers.items() if k.lower() not in _HOP_BY_HOP}
            response = web.Response(status=upstream.status, body=payload, headers=out)
            if request.method == "HEAD" and upstream.content_length is not None:
                # a HEAD has no body, but its Content-Length must still be the object's size
                response.headers["Content-Length"] = str(upstream.content_length)
            return response
