"""The status server's security headers, on every endpoint, and its warning when it listens
beyond loopback: a real server on 127.0.0.1 over real HTTP."""

from __future__ import annotations

import aiohttp
import pytest
from structlog.testing import capture_logs

from syncd.metrics import Metrics
from syncd.store.store import Store
from syncd.web.app import WebServer, is_loopback


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True), ("127.0.0.2", True), ("::1", True), ("[::1]", True),
        ("localhost", True), ("0.0.0.0", False), ("::", False), ("", False),
        ("192.168.1.10", False), ("status.example", False),
    ],
)  # fmt: skip
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


async def test_every_endpoint_sends_security_headers(store: Store) -> None:
    server = WebServer(store, Metrics(), "127.0.0.1", 0)
    with capture_logs() as logs:
        url = await server.start()
    try:
        assert not [e for e in logs if e["log_level"] == "warning"]  # loopback: no warning
        async with aiohttp.ClientSession() as http:
            for path in ("", "status.json", "metrics", "healthz", "readyz", "no-such-page"):
                async with http.get(url + path) as response:
                    headers = response.headers
                    policy = headers["Content-Security-Policy"]
                    assert "frame-ancestors 'none'" in policy and "default-src 'none'" in policy
                    assert "script-src" not in policy  # none allowed: default-src 'none'
                    assert headers["X-Content-Type-Options"] == "nosniff"
                    assert headers["Referrer-Policy"] == "no-referrer"
                    assert headers["X-Frame-Options"] == "DENY"
    finally:
        await server.stop()


async def test_listening_beyond_loopback_is_warned_once(store: Store) -> None:
    server = WebServer(store, Metrics(), "0.0.0.0", 0)
    with capture_logs() as logs:
        await server.start()
    try:
        warnings = [e for e in logs if e["log_level"] == "warning"]
        assert len(warnings) == 1 and warnings[0]["listen"] == "0.0.0.0"
        assert "beyond loopback" in warnings[0]["event"]
    finally:
        await server.stop()
