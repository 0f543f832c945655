"""The registry, site options, and small helpers around fetching."""

from __future__ import annotations

import asyncio
import dataclasses
import time

import pytest
from aiohttp import web

from connectors.base import create, kinds
from connectors.dnn import DnnConnector
from connectors.errors import OptionsError, UnknownKind
from connectors.feed import FeedConnector
from connectors.fetching import disposition_filename
from connectors.http import HttpClient, MemoryValidatorStore
from connectors.http.guard import GuardedResolver
from connectors.options import SiteOptions
from tests.connectors.conftest import FAST, LOOPBACK, Serve


async def test_registry_creates_each_kind() -> None:
    async with HttpClient(FAST) as http:
        options = SiteOptions("https://a.gov.vn", feeds=("/rss",))
        assert isinstance(create("dnn", options, http), DnnConnector)
        assert isinstance(create("feed", options, http, MemoryValidatorStore()), FeedConnector)
        with pytest.raises(UnknownKind, match="unknown connector kind 'joomla' \\(known: dnn"):
            create("joomla", options, http)
        with pytest.raises(OptionsError, match="feeds: a feed site needs at least one feed URL"):
            create("feed", SiteOptions("https://a.gov.vn"), http)
    assert "dnn" in kinds()


def test_site_options_are_checked() -> None:
    with pytest.raises(OptionsError, match="base_url: not an http"):
        SiteOptions("ftp://a.gov.vn")
    with pytest.raises(OptionsError, match="credentials: give both"):
        SiteOptions("https://a.gov.vn", username="host")
    options = SiteOptions("https://a.gov.vn/portal")
    assert options.url("/RSS.aspx") == "https://a.gov.vn/RSS.aspx"
    assert options.url("rss.xml") == "https://a.gov.vn/portal/rss.xml"
    assert options.url("https://b.gov.vn/x") == "https://b.gov.vn/x"


def test_disposition_filename() -> None:
    assert disposition_filename('attachment; filename="bao cao.pdf"') == "bao cao.pdf"
    encoded = "attachment; filename=\"x.pdf\"; filename*=UTF-8''B%C3%A1o%20c%C3%A1o.pdf"
    assert disposition_filename(encoded) == "Báo cáo.pdf"
    assert disposition_filename("inline") is None
    assert disposition_filename(None) is None


async def test_resolver_drops_private_answers() -> None:
    # The guarded resolver trusts nothing, ever: trusted origins use another session.
    resolver = GuardedResolver()
    try:
        with pytest.raises(OSError, match="only to non-public addresses"):
            await resolver.resolve("localhost", 80)
    finally:
        await resolver.close()


async def test_politeness_delay_spaces_request_starts(serve: Serve) -> None:
    starts: list[float] = []

    async def handler(request: web.Request) -> web.Response:
        starts.append(time.monotonic())
        return web.Response(text="x")

    app = web.Application()
    app.router.add_get("/{n}", handler)
    base = await serve(app)
    policy = dataclasses.replace(FAST, politeness_delay=0.1, per_host=4)
    async with HttpClient(policy) as http:
        began = time.monotonic()
        await asyncio.gather(*(http.get(f"{base}/{n}", trust=LOOPBACK) for n in range(4)))
    # The fourth request may not start before three gaps have passed (a lower bound, so it
    # cannot flake; without the delay all four arrive within milliseconds).
    assert len(starts) == 4 and max(starts) - began >= 0.3
