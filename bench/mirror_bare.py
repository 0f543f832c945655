"""The yardstick: a bare aiohttp loop that fetches the URLs the mirror fetched, site by site
with the same limits (sites at once, requests per host), and does nothing with the bodies."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import aiohttp

from bench.mirror_metrics import RequestCounter

Validators = dict[str, tuple[str | None, str | None]]  # url -> (ETag, Last-Modified)


async def bare_pass(
    urls: Mapping[str, list[str]],
    *,
    site_concurrency: int,
    per_host: int,
    counter: RequestCounter,
    known: Validators | None = None,
) -> tuple[Validators, int]:
    """One pass over every site's URLs (the first one, the sitemap, before the rest).

    With `known` each request is conditional (If-None-Match / If-Modified-Since, as syncd
    sends them). Returns the validators seen and the number of failed requests."""
    seen: Validators = {}
    failed = 0
    sites = asyncio.Semaphore(site_concurrency)
    connector = aiohttp.TCPConnector(limit=100, limit_per_host=per_host)
    async with aiohttp.ClientSession(connector=connector, trace_configs=[counter.trace]) as session:

        async def fetch(url: str) -> None:
            nonlocal failed
            headers = {}
            etag, modified = (known or {}).get(url, (None, None))
            if etag:
                headers["If-None-Match"] = etag
            if modified:
                headers["If-Modified-Since"] = modified
            async with session.get(url, headers=headers) as response:
                await response.read()
                if response.status not in (200, 304):
                    failed += 1
                seen[url] = (response.headers.get("ETag"), response.headers.get("Last-Modified"))

        async def site(site_urls: list[str]) -> None:
            async with sites:
                await fetch(site_urls[0])
                queue = list(reversed(site_urls[1:]))

                async def worker() -> None:
                    while queue:
                        await fetch(queue.pop())

                await asyncio.gather(*(worker() for _ in range(per_host)))

        await asyncio.gather(*(site(list(dict.fromkeys(u))) for u in urls.values() if u))
    return seen, failed
