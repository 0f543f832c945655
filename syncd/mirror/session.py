"""A ready-to-use Mirror: store opened and migrated, HTTP client started, sites registered."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from connectors.http import HttpClient
from syncd.config import Config
from syncd.mirror.runner import Mirror, http_policy
from syncd.store.open import open_store


@asynccontextmanager
async def mirror_session(config: Config) -> AsyncIterator[Mirror]:
    store = await open_store(config)
    try:
        async with HttpClient(http_policy(config)) as http:
            mirror = Mirror(config, store, http)
            await mirror.register_sites()
            yield mirror
    finally:
        await store.close()
