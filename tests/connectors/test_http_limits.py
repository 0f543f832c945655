"""Hostile bodies against real local servers: compression bombs, dripping bodies, the deadline
per URL, and content encodings decoded block by block."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gzip
import random
import tracemalloc
import zlib
from collections.abc import Awaitable, Callable

import brotli
import pytest
from aiohttp import web

from connectors.errors import BadContentEncoding, HttpStatus, Timeout, TooLarge
from connectors.fetching import fetch_media
from connectors.http import HttpClient, MemoryValidatorStore
from connectors.http.policy import BLOCK
from connectors.model import MediaRef
from tests.connectors.conftest import FAST, LOOPBACK, Serve

MiB = 1024 * 1024
CAP = MiB


def gzip_bomb(inflated_mib: int) -> bytes:
    """A gzip stream of ``inflated_mib`` MiB of zeros, built without compressing them all: after
    a full flush the compressor's output for the same MiB is the same bytes every time."""
    zeros = bytes(MiB)
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    first = packer.compress(zeros) + packer.flush(zlib.Z_FULL_FLUSH)
    again = packer.compress(zeros) + packer.flush(zlib.Z_FULL_FLUSH)
    return first + again * (inflated_mib - 1) + packer.flush()


def app_with(
    path: str, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.Application:
    app = web.Application()
    app.router.add_get(path, handler)
    return app


async def held_peak(work: Awaitable[object]) -> tuple[BaseException | None, int]:
    """Run ``work`` under tracemalloc: the error it raised and the peak bytes allocated."""
    tracemalloc.start()
    try:
        await work
        error = None
    except Exception as caught:
        error = caught
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return error, peak


async def test_gzip_bomb_with_content_length_stops_at_the_cap(serve: Serve) -> None:
    bomb = gzip_bomb(10 * 1024)  # about 10 MB sent, 10 GiB inflated
    cap = FAST.max_bytes  # the default 32 MiB: more than the bytes sent
    assert len(bomb) < cap

    async def handler(request: web.Request) -> web.Response:
        # web.Response sends a Content-Length: the size the old cap was compared with
        return web.Response(body=bomb, headers={"Content-Encoding": "gzip"})

    base = await serve(app_with("/", handler))
    async with HttpClient(dataclasses.replace(FAST, attempts=1)) as http:
        error, peak = await held_peak(http.get(base + "/", trust=LOOPBACK))
    assert isinstance(error, TooLarge) and error.inflated
    assert str(error).endswith(f"body exceeds {cap} bytes after decompression")
    assert cap < error.held <= cap + BLOCK
    assert peak < 3 * cap, peak  # generous: the whole bomb would be 10 GiB


@pytest.mark.parametrize("coding", ["deflate", "br"])
async def test_chunked_bombs_stop_at_the_cap(serve: Serve, coding: str) -> None:
    zeros = bytes(64 * MiB)
    packed = zlib.compress(zeros, 9) if coding == "deflate" else brotli.compress(zeros, quality=5)

    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Encoding": coding})
        await response.prepare(request)  # chunked: no Content-Length at all
        for start in range(0, len(packed), 4096):
            await response.write(packed[start : start + 4096])
        return response

    base = await serve(app_with("/", handler))
    async with HttpClient(dataclasses.replace(FAST, max_bytes=CAP, attempts=1)) as http:
        with pytest.raises(TooLarge, match="after decompression") as caught:
            await http.get(base + "/", trust=LOOPBACK)
    assert CAP < caught.value.held <= CAP + 2 * BLOCK  # brotli's pieces overshoot a little


async def test_gzip_encoded_media_is_not_stored_past_the_cap(serve: Serve) -> None:
    image = b"\x89PNG\r\n\x1a\n" + bytes(8 * CAP)  # compresses to a few KiB

    async def handler(request: web.Request) -> web.Response:
        return web.Response(
            body=gzip.compress(image),
            headers={"Content-Encoding": "gzip", "Content-Type": "image/png"},
        )

    base = await serve(app_with("/big.png", handler))
    async with HttpClient(dataclasses.replace(FAST, max_bytes=CAP)) as http:
        with pytest.raises(TooLarge, match="after decompression"):
            await fetch_media(
                http,
                MediaRef(base + "/big.png", "image"),
                validators=MemoryValidatorStore(),
                trust=LOOPBACK,
            )


def _raw_deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    return packer.compress(data) + packer.flush()


@pytest.mark.parametrize(
    ("coding", "pack"),
    [
        ("gzip", gzip.compress),
        ("gzip", lambda data: gzip.compress(data[:1000]) + gzip.compress(data[1000:])),
        ("deflate", zlib.compress),
        ("deflate", _raw_deflate),
        ("br", brotli.compress),
        ("identity", lambda data: data),
    ],
    ids=["gzip", "gzip-members", "deflate-zlib", "deflate-raw", "br", "identity"],
)
async def test_encoded_bodies_are_decoded(
    serve: Serve, http: HttpClient, coding: str, pack: Callable[[bytes], bytes]
) -> None:
    page = ("<p>Ủy ban nhân dân huyện Đắk Hà</p>" * 5000).encode()  # several blocks

    async def handler(request: web.Request) -> web.Response:
        assert request.headers["Accept-Encoding"] == "gzip, deflate, br"
        return web.Response(body=pack(page), headers={"Content-Encoding": coding})

    base = await serve(app_with("/", handler))
    assert (await http.get(base + "/", trust=LOOPBACK)).body == page


@pytest.mark.parametrize(
    ("coding", "body", "problem"),
    [
        ("gzip", gzip.compress(random.Random(1).randbytes(100_000))[:-200], "gzip body cut short"),
        ("gzip", b"not gzip at all", "broken gzip body"),
        ("zstd", b"whatever", "unsupported Content-Encoding 'zstd'"),
        ("gzip, gzip", b"whatever", "unsupported Content-Encoding"),
    ],
)
async def test_broken_or_unasked_encodings_are_errors(
    serve: Serve, http: HttpClient, coding: str, body: bytes, problem: str
) -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=body, headers={"Content-Encoding": coding})

    base = await serve(app_with("/", handler))
    with pytest.raises(BadContentEncoding, match=problem):
        await http.get(base + "/", trust=LOOPBACK)


def dripping(hits: list[int]) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handler(request: web.Request) -> web.StreamResponse:
        hits.append(1)
        response = web.StreamResponse()
        await response.prepare(request)
        while True:  # one byte at a time, never silent long enough for a socket timeout
            await response.write(b"x")
            await asyncio.sleep(0.02)

    return handler


async def test_a_dripping_body_fails_after_the_read_timeout(serve: Serve) -> None:
    hits: list[int] = []
    base = await serve(app_with("/", dripping(hits)))
    policy = dataclasses.replace(FAST, read_timeout=0.3, total_timeout=60, attempts=1)
    async with HttpClient(policy) as http:
        with pytest.raises(Timeout, match=f"less than {BLOCK} bytes of body in 0.3s"):
            await http.get(base + "/", trust=LOOPBACK)
    assert hits == [1]


async def test_one_deadline_covers_every_attempt(serve: Serve) -> None:
    hits: list[int] = []
    base = await serve(app_with("/", dripping(hits)))
    policy = dataclasses.replace(FAST, read_timeout=0.3, total_timeout=1, attempts=100)
    async with HttpClient(policy) as http:
        # the deadline's own error, or the last attempt's when no retry fitted before it
        with pytest.raises(Timeout, match="timed out"):
            await http.get(base + "/", trust=LOOPBACK)
    # every attempt drips until its read timeout: the deadline ended them long before 100
    assert 1 <= len(hits) < policy.attempts


async def test_no_retry_is_begun_that_the_deadline_would_cut(serve: Serve) -> None:
    hits: list[int] = []

    async def handler(request: web.Request) -> web.Response:
        hits.append(1)
        return web.Response(status=503)

    base = await serve(app_with("/", handler))
    # the first wait (about 5 s) is beyond the 1 s deadline: the real error comes back at once
    policy = dataclasses.replace(FAST, total_timeout=1, attempts=5, backoff_base=10, backoff_max=10)
    async with HttpClient(policy) as http:
        with pytest.raises(HttpStatus, match="HTTP 503"):
            await http.get(base + "/", trust=LOOPBACK)
    assert hits == [1]


async def test_dripping_headers_fail_after_connect_and_read_timeouts(http: HttpClient) -> None:
    async def drip(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\n")
        with contextlib.suppress(ConnectionError):
            while True:  # a header that never ends, a byte at a time
                writer.write(b"X")
                await writer.drain()
                await asyncio.sleep(0.02)

    server = await asyncio.start_server(drip, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    policy = dataclasses.replace(FAST, connect_timeout=0.2, read_timeout=0.3, attempts=1)
    try:
        async with HttpClient(policy) as client:
            with pytest.raises(Timeout, match=r"no complete headers in 0\.5s"):
                await client.get(f"http://127.0.0.1:{port}/", trust=LOOPBACK)
    finally:
        server.close()
