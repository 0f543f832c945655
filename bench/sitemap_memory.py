"""Memory a DNN listing adds for one huge sitemap part (issue 10: 27 MiB, 700k URLs).

Serves a sitemap of N URLs from a local aiohttp server (in a child process, so its own memory
is not counted) and lists it with DnnConnector, printing the listing process's RSS before,
its peak and its RSS after, in MiB. Run it against any
checkout by putting that checkout first on PYTHONPATH:

    PYTHONPATH=<checkout>:. .venv/bin/python bench/sitemap_memory.py [urls] [max_listed_urls]

(``max_listed_urls`` applies only to checkouts that have listing limits.)
"""

from __future__ import annotations

import asyncio
import inspect
import resource
import sys

from aiohttp import web

from bench.child_server import start_child_server
from connectors.dnn import DnnConnector
from connectors.errors import ConnectorError
from connectors.http import HttpClient, HttpPolicy, MemoryValidatorStore
from connectors.options import SiteOptions


def rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def sitemap(count: int) -> bytes:
    head = b'<?xml version="1.0" encoding="UTF-8"?>\n'
    head += b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
    lines = (f"<url><loc>/tin-tuc/a{n:06d}</loc></url>\n".encode() for n in range(count))
    return head + b"".join(lines) + b"</urlset>\n"


def sitemap_app() -> web.Application:
    body = sitemap(int(sys.argv[1]) if len(sys.argv) > 1 else 700_000)

    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="text/xml")

    app = web.Application()
    app.router.add_get("/Sitemap.aspx", handler)
    return app


async def main(count: int, max_urls: int | None) -> None:
    server, base = start_child_server(sitemap_app)
    extra: dict[str, object] = {}
    if max_urls is not None and "limits" in inspect.signature(SiteOptions).parameters:
        from connectors.options import ListingLimits

        extra["limits"] = ListingLimits(max_urls=max_urls)
    options = SiteOptions(base, local=True, **extra)  # type: ignore[arg-type]
    async with HttpClient(HttpPolicy()) as http:
        connector = DnnConnector(options, http, MemoryValidatorStore())
        before = rss_mib()
        try:
            listing = await connector.list_items()
            outcome = f"{len(listing.entries)} entries"
        except ConnectorError as error:
            outcome = f"error: {error}"
        after = rss_mib()
    server.terminate()
    print(f"sitemap of {count} URLs -> {outcome.split(': ', 2)[-1]}")
    print(f"RSS before {before:.0f} MiB, peak {peak_mib():.0f} MiB, after {after:.0f} MiB")
    print(f"added while listing: {after - before:.0f} MiB held, {peak_mib() - before:.0f} MiB peak")


if __name__ == "__main__":
    urls = int(sys.argv[1]) if len(sys.argv) > 1 else 700_000
    cap = int(sys.argv[2]) if len(sys.argv) > 2 else None
    asyncio.run(main(urls, cap))
