"""Time and peak RSS of the HTTP helper refusing a gzip bomb (issue 10): about 10 MB sent with
a Content-Length, 10 GiB inflated, against the default 32 MiB cap. The server runs in a child
process, so only the client is measured:

    PYTHONPATH=<checkout>:. .venv/bin/python bench/gzip_bomb.py

(Run only checkouts that cap inflated bytes: before issue 10 the client inflated all of it.)
"""

from __future__ import annotations

import asyncio
import resource
import time
import zlib

from aiohttp import web

from bench.child_server import start_child_server
from connectors.http import HttpClient, HttpPolicy, Trust

MiB = 1 << 20


def bomb(mib: int) -> bytes:
    """After a full flush the compressor writes the same bytes for the same MiB of zeros."""
    zeros = bytes(MiB)
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    first = packer.compress(zeros) + packer.flush(zlib.Z_FULL_FLUSH)
    again = packer.compress(zeros) + packer.flush(zlib.Z_FULL_FLUSH)
    return first + again * (mib - 1) + packer.flush()


INFLATED_MIB = 10 * 1024


def bomb_app() -> web.Application:
    body = bomb(INFLATED_MIB)  # built in the child: the client's process never holds it

    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=body, headers={"Content-Encoding": "gzip"})

    app = web.Application()
    app.router.add_get("/", handler)
    return app


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def main() -> None:
    server, base = start_child_server(bomb_app)
    trust = Trust(frozenset({("127.0.0.1", None)}))
    before, started = peak_mib(), time.monotonic()
    async with HttpClient(HttpPolicy(attempts=1)) as http:
        try:
            await http.get(base + "/", trust=trust)
            outcome = "read whole"
        except Exception as error:  # the outcome is the point: print whatever it was
            outcome = str(error).split(": ", 1)[-1]
    elapsed = time.monotonic() - started
    server.terminate()
    print(f"bomb of {INFLATED_MIB} MiB inflated: {outcome}")
    print(f"{elapsed:.1f} s; peak RSS {before:.0f} -> {peak_mib():.0f} MiB")


if __name__ == "__main__":
    asyncio.run(main())
