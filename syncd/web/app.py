"""The daemon's HTTP endpoints: status page, Prometheus metrics, liveness and readiness."""

from __future__ import annotations

import ipaddress
from datetime import timedelta

import structlog
from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from syncd import __version__
from syncd.metrics import Metrics
from syncd.store.status import ping
from syncd.store.store import Store
from syncd.web.page import render_status
from syncd.web.report import BACKUP_STALE_AFTER, StatusReport, build_report, report_json
from syncd.web.syndication import SyndicationWeb

log = structlog.get_logger("syncd.web")

STORE = web.AppKey("store", Store)
METRICS = web.AppKey("metrics", Metrics)
STALE_AFTER = web.AppKey("backup_stale_after", timedelta)


async def _report(request: web.Request) -> StatusReport:
    return await build_report(
        request.app[STORE].engine, version=__version__, stale_after=request.app[STALE_AFTER]
    )


async def status(request: web.Request) -> web.Response:
    html = render_status(await _report(request))
    return web.Response(text=html, content_type="text/html", charset="utf-8")


async def status_json(request: web.Request) -> web.Response:
    return web.json_response(report_json(await _report(request)))


async def metrics(request: web.Request) -> web.Response:
    return web.Response(
        body=request.app[METRICS].render(),
        headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"},
    )


async def healthz(_: web.Request) -> web.Response:
    return web.Response(text="ok\n")


async def readyz(request: web.Request) -> web.Response:
    try:
        await ping(request.app[STORE].engine)
    except (SQLAlchemyError, OSError) as exc:
        return web.Response(status=503, text=f"store unreachable: {exc}\n")
    return web.Response(text="ready\n")


# The page is self-contained (inline style, no script, no external asset): the policy allows
# exactly that, and no other site may frame it, sniff its types or learn its address.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


async def _secure_headers(_: web.Request, response: web.StreamResponse) -> None:
    response.headers.update(SECURITY_HEADERS)


def build_app(
    store: Store,
    metrics_: Metrics,
    *,
    backup_stale_after: timedelta = BACKUP_STALE_AFTER,
    syndication: SyndicationWeb | None = None,
) -> web.Application:
    app = web.Application()
    app.on_response_prepare.append(_secure_headers)
    app[STORE] = store
    app[METRICS] = metrics_
    app[STALE_AFTER] = backup_stale_after
    app.router.add_get("/", status)
    app.router.add_get("/status.json", status_json)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    if syndication is not None:
        syndication.add_routes(app)
    return app


class WebServer:
    def __init__(
        self,
        store: Store,
        metrics_: Metrics,
        host: str,
        port: int,
        *,
        backup_stale_after: timedelta = BACKUP_STALE_AFTER,
        syndication: SyndicationWeb | None = None,
    ) -> None:
        app = build_app(
            store, metrics_, backup_stale_after=backup_stale_after, syndication=syndication
        )
        self.runner = web.AppRunner(app, access_log=None)
        self.host, self.port = host, port

    async def start(self) -> str:
        if not is_loopback(self.host):
            # the page names every site, unit, target and error: say so once, loudly
            log.warning(
                "status page and metrics listen beyond loopback, with no authentication",
                listen=self.host,
            )
        await self.runner.setup()
        site = web.TCPSite(self.runner, self.host, self.port)
        await site.start()
        self.port = self.runner.addresses[0][1]
        return f"http://{self.host}:{self.port}/"

    async def stop(self) -> None:
        await self.runner.cleanup()


def is_loopback(host: str) -> bool:
    """True when ``host`` (an address, possibly in brackets, or a name) can only be reached
    from this machine. A name other than localhost may resolve to anything: not loopback."""
    host = host.strip().strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
