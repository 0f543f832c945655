"""A store and a mirror wired to simulated DNN sites over real HTTP on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import pytest

from connectors.http import HttpClient, HttpPolicy
from syncd.config import Config, parse_config
from syncd.mirror.runner import Mirror
from syncd.simulator import SimulatedSite
from syncd.store.blobs import LocalBlobStore
from syncd.store.db import create_engine, upgrade
from syncd.store.store import Store

# fast retries: the fault tests should not wait out production backoffs
TEST_POLICY = HttpPolicy(backoff_base=0.01, backoff_max=0.05, retry_after_cap=0.2, read_timeout=2,
                         total_timeout=5, connect_timeout=2)  # fmt: skip


def network_config(sites: dict[str, SimulatedSite], **options: object) -> Config:
    lines = ['[[units]]\nkey = "kr"\nname = "Huyện Kon Rẫy"\nlevel = "district"\n']
    for key, site in sites.items():
        lines.append(
            f'[[sites]]\nkey = "{key}"\nunit = "kr"\nkind = "dnn"\n'
            f'base_url = "{site.base_url}"\nlocal = true\n'
        )
        if options:
            opts = ", ".join(f"{k} = {v!r}" for k, v in options.items())
            lines.append(f"options = {{ {opts} }}\n")
    return parse_config("".join(lines))


MirrorFactory = Callable[[Config], AbstractAsyncContextManager[Mirror]]


@pytest.fixture
def mirror_for(store_url: str, tmp_path: Path) -> MirrorFactory:
    @asynccontextmanager
    async def make(config: Config) -> AsyncIterator[Mirror]:
        await upgrade(store_url)
        store = Store(create_engine(store_url), LocalBlobStore(tmp_path / "blobs"))
        try:
            async with HttpClient(TEST_POLICY) as http:
                mirror = Mirror(config, store, http)
                await mirror.register_sites()
                yield mirror
        finally:
            await store.close()

    return make
