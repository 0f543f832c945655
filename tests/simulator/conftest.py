"""Fixtures: a small simulated site on a free 127.0.0.1 port and an HTTP client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from syncd.simulator import SimClock, SimulatedSite


@pytest.fixture
def clock() -> SimClock:
    return SimClock()


@pytest.fixture
async def site(clock: SimClock) -> AsyncIterator[SimulatedSite]:
    async with SimulatedSite(
        seed=11, articles=40, images=8, documents=6, blog_posts=6, rss_items=10, clock=clock
    ) as running:
        yield running


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        yield session
