"""Syndication over the daemon's HTTP port: outgoing feeds, and update pings.

- `GET /feeds/{site}.rss` and `/feeds/{site}.atom`: the copies feed routes offer that site,
  with ETag and Last-Modified, answering 304 to a conditional request.
- `POST /RPC2`: the XML-RPC `weblogUpdates.ping(name, url)` and
  `weblogUpdates.extendedPing(name, url, changes_url[, rss_url])` that WordPress sends to its
  update services when a post is published. The URL is matched to a configured site, which is
  then mirrored at once instead of at its next poll. Anything else gets a fault; pings are
  rate-limited per sender and per site.
"""

from __future__ import annotations

import time
import xmlrpc.client
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import urlsplit

from aiohttp import web

from syncd.store.store import Store
from syncd.syndication.feeds import FeedFormat, feed_entries, render_feed

MAX_PING_BYTES = 16 * 1024
PINGS_PER_SENDER = 20  # per PING_WINDOW seconds
PING_WINDOW = 60.0


@dataclass
class PingLimiter:
    """A sliding window of pings per sender (pure; the clock is given). Pings for one site
    coalesce in the daemon instead: one pass at a time, and one more after it when a ping
    came in meanwhile."""

    per_sender: int = PINGS_PER_SENDER
    window: float = PING_WINDOW
    _sent: dict[str, list[float]] = field(default_factory=dict)

    def sender_allowed(self, sender: str, now: float) -> bool:
        recent = [at for at in self._sent.get(sender, []) if now - at < self.window]
        allowed = len(recent) < self.per_sender
        if allowed:
            recent.append(now)
        self._sent[sender] = recent
        if len(self._sent) > 10_000:  # forget idle senders so the map cannot grow for ever
            self._sent = {k: v for k, v in self._sent.items() if v and now - v[-1] < self.window}
        return allowed

def _host_path(url: str) -> tuple[str, str]:
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower().removeprefix("www.")
    port = f":{parts.port}" if parts.port else ""
    return host + port, parts.path.rstrip("/")


def match_site(url: str, sites: Mapping[str, str]) -> str | None:
    """The site whose base URL the pinged URL is at or under (scheme ignored: a site moved to
    https still pings), the longest base first; None when none is."""
    host, path = _host_path(url)
    if not host:
        return None
    under = []
    for key, base in sites.items():
        base_host, base_path = _host_path(base)
        if host == base_host and (path == base_path or path.startswith(base_path + "/")):
            under.append((len(base_path), key))
    return max(under)[1] if under else None


@dataclass
class SyndicationWeb:
    store: Store
    site_urls: Mapping[str, str]  # site key -> base URL
    site_names: Mapping[str, str]  # site key -> unit name
    on_ping: Callable[[str], Awaitable[None]]
    limiter: PingLimiter = field(default_factory=PingLimiter)

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/feeds/{site}.{fmt:rss|atom}", self.feed)
        app.router.add_post("/RPC2", self.ping)

    async def feed(self, request: web.Request) -> web.Response:
        site = request.match_info["site"]
        if site not in self.site_urls:
            raise web.HTTPNotFound(text=f"no site {site!r}\n")
        fmt: FeedFormat = "rss" if request.match_info["fmt"] == "rss" else "atom"
        entries = await feed_entries(self.store, site, dict(self.site_names))
        rendered = render_feed(
            entries, fmt=fmt, site_key=site, title=self.site_names.get(site, site),
            self_url=str(request.url),
        )  # fmt: skip
        headers = {"ETag": rendered.etag, "Cache-Control": "no-cache"}
        if rendered.last_modified is not None:
            headers["Last-Modified"] = format_datetime(rendered.last_modified, usegmt=True)
        if _not_modified(request, rendered.etag, rendered.last_modified):
            return web.Response(status=304, headers=headers)
        return web.Response(
            body=rendered.body, headers=headers, content_type=rendered.content_type,
            charset="utf-8",
        )  # fmt: skip

    async def ping(self, request: web.Request) -> web.Response:
        sender = request.remote or "?"
        if not self.limiter.sender_allowed(sender, time.monotonic()):
            return _ping_answer(True, "too many pings; slow down", status=429)
        if (request.content_length or 0) > MAX_PING_BYTES:
            return _ping_answer(True, "request too large", status=413)
        raw = await request.content.read(MAX_PING_BYTES + 1)
        if len(raw) > MAX_PING_BYTES:
            return _ping_answer(True, "request too large", status=413)
        try:
            params, method = xmlrpc.client.loads(raw)
        except Exception:  # any malformed body: XML errors, bad values, expat limits
            return _ping_answer(True, "not an XML-RPC call")
        if method not in ("weblogUpdates.ping", "weblogUpdates.extendedPing"):
            return _ping_answer(True, f"unknown method {method!r}")
        urls = [p for p in params[1:] if isinstance(p, str)]
        site = next((s for u in urls if (s := match_site(u, self.site_urls))), None)
        if site is None:
            return _ping_answer(True, "this URL is not a site this service mirrors")
        await self.on_ping(site)
        return _ping_answer(False, "Thanks for the ping.")


def _not_modified(request: web.Request, etag: str, last_modified: datetime | None) -> bool:
    match = request.headers.get("If-None-Match")
    if match is not None:
        return etag in [m.strip() for m in match.split(",")] or match.strip() == "*"
    since = request.headers.get("If-Modified-Since")
    if since and last_modified is not None:
        try:
            return parsedate_to_datetime(since) >= last_modified.replace(microsecond=0)
        except (TypeError, ValueError):
            return False
    return False


def _ping_answer(error: bool, message: str, status: int = 200) -> web.Response:
    body = xmlrpc.client.dumps(
        ({"flerror": error, "message": message},), methodresponse=True, encoding="utf-8"
    )
    return web.Response(text=body, status=status, content_type="text/xml", charset="utf-8")
