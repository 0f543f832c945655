"""The aiohttp middleware that makes switched-on faults happen to real responses."""

from __future__ import annotations

import asyncio
import re
import unicodedata
from collections.abc import Awaitable, Callable

from aiohttp import web

from .encoding import encode_cp1258
from .faults import Fault, FaultKind
from .keys import EMPTY_LISTINGS, STRUCK, state_of

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_TEXT_TYPES = ("text/", "application/xml", "application/rss+xml", "application/atom+xml",
               "application/json")
_BODY_FAULTS = (FaultKind.NFD, FaultKind.MALFORMED_XML, FaultKind.CHARSET_MISLABELLED,
                FaultKind.CHARSET_MISSING, FaultKind.CP1258)
_STREAM_FAULTS = (FaultKind.STALL_AFTER_HEADERS, FaultKind.TRUNCATED, FaultKind.HUGE_BODY)
_XML_DECL = re.compile(r"<\?xml[^>]*\?>")
_HTML_META = re.compile(r'<meta content="text/html; charset=UTF-8" http-equiv="Content-Type" />')


def _error_page(status: int, reason: str) -> str:
    return (f"<!DOCTYPE html><html><head><title>{reason}</title></head><body>"
            f"<h1>Server Error in '/' Application.</h1><h2>{reason}</h2></body></html>")


def _immediate(fault: Fault, request: web.Request) -> web.StreamResponse | None:
    """Faults that replace the answer outright."""
    kind = fault.kind
    if kind == FaultKind.CRASHED_404:
        return web.Response(status=404, text=_error_page(404, "The resource cannot be found."),
                            content_type="text/html")
    if kind == FaultKind.ERROR_500:
        return web.Response(status=500, text=_error_page(500, "Runtime Error"),
                            content_type="text/html")
    if kind in (FaultKind.ERROR_503, FaultKind.ERROR_429):
        status = 503 if kind == FaultKind.ERROR_503 else 429
        reason = "Service Unavailable" if status == 503 else "Too Many Requests"
        return web.Response(status=status, text=_error_page(status, reason),
                            content_type="text/html",
                            headers={"Retry-After": str(fault.retry_after)})
    if kind == FaultKind.REDIRECT_LOOP:
        # Bounce between the URL with and without a marker parameter, forever.
        url = request.rel_url
        if "__loop" in url.query:
            target = url.with_query({k: v for k, v in url.query.items() if k != "__loop"})
        else:
            target = url.update_query(__loop="1")
        return web.Response(status=302, headers={"Location": str(target)})
    return None


def _recode(response: web.Response, kinds: set[FaultKind]) -> web.Response:
    """Body faults: rewrite a finished text response's bytes and Content-Type."""
    ctype = response.content_type
    if response.status != 200 or not isinstance(response.body, bytes) or not ctype.startswith(
        _TEXT_TYPES
    ):
        return response
    text = response.body.decode(response.charset or "utf-8")
    charset: str | None = "utf-8"
    if FaultKind.NFD in kinds:
        text = unicodedata.normalize("NFD", text)
    if FaultKind.MALFORMED_XML in kinds and "xml" in ctype:
        # A bare ampersand and a lost end tag: the two breakages real feeds show most.
        text = text.replace("<title>", "<title>Q&A ", 1)
        text = text[: text.rstrip().rfind("</")]
    if FaultKind.CP1258 in kinds:
        charset = "windows-1258"
        text = _XML_DECL.sub('<?xml version="1.0" encoding="windows-1258"?>', text, count=1)
        text = text.replace("charset=UTF-8", "charset=windows-1258", 1)
    elif FaultKind.CHARSET_MISSING in kinds:
        charset = None
        text = _XML_DECL.sub('<?xml version="1.0"?>', text, count=1)
        text = _HTML_META.sub("", text, count=1)
    wide = kinds & {FaultKind.CP1258, FaultKind.CHARSET_MISSING, FaultKind.CHARSET_MISLABELLED}
    body = encode_cp1258(text) if wide else text.encode("utf-8")
    headers = {k: v for k, v in response.headers.items()
               if k.lower() not in ("content-type", "content-length")}
    headers["Content-Type"] = ctype + (f"; charset={charset}" if charset else "")
    return web.Response(status=response.status, body=body, headers=headers)


async def _stream(request: web.Request, response: web.Response, fault: Fault) -> (
    web.StreamResponse
):
    """Faults that need control over the wire: stalls, short bodies, endless bodies."""
    body = response.body if isinstance(response.body, bytes) else b""
    headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
    out = web.StreamResponse(status=response.status, headers=headers)
    if fault.kind == FaultKind.HUGE_BODY:
        out.enable_chunked_encoding()
        await out.prepare(request)
        await out.write(body + b"<!--")
        chunk = b" " * 65_536
        for _ in range(fault.huge_bytes // len(chunk) + 1):
            await out.write(chunk)
        await out.write(b"-->\n")
        await out.write_eof()
        return out
    out.content_length = len(body) + (1 if fault.kind == FaultKind.STALL_AFTER_HEADERS else 0)
    if fault.kind == FaultKind.TRUNCATED:
        out.content_length = len(body) + max(len(body), 1024)
    await out.prepare(request)
    if fault.kind == FaultKind.TRUNCATED:
        await out.write(body[: len(body) // 2])
    else:
        await asyncio.sleep(fault.wait)
    _hang_up(request)
    return out


def _hang_up(request: web.Request) -> None:
    if request.transport is not None:
        request.transport.close()


@web.middleware
async def fault_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    faults = state_of(request).faults.strike(request.path)
    if not faults:
        return await handler(request)
    for fault in faults:
        replaced = _immediate(fault, request)
        if replaced is not None:
            return replaced
    kinds = {f.kind for f in faults}
    for fault in faults:
        if fault.kind in (FaultKind.SLOW, FaultKind.NO_RESPONSE):
            await asyncio.sleep(fault.wait)
        if fault.kind == FaultKind.NO_RESPONSE:
            _hang_up(request)
            raise asyncio.CancelledError
    empty = EMPTY_LISTINGS.set(FaultKind.CRASHED_EMPTY in kinds)
    struck = STRUCK.set(frozenset(kinds))
    try:
        response = await handler(request)
    finally:
        EMPTY_LISTINGS.reset(empty)
        STRUCK.reset(struck)
    if not isinstance(response, web.Response):
        return response
    if kinds.intersection(_BODY_FAULTS):
        response = _recode(response, kinds)
    streaming = [f for f in faults if f.kind in _STREAM_FAULTS]
    if streaming and response.status == 200:
        return await _stream(request, response, streaming[0])
    return response
