"""Fixtures of the store-backup tests: an empty store to restore into, on the same backend."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from backups.repository import Repository
from backups.targets.local import LocalTarget
from syncd.store.store import Store
from tests.backup.helpers import new_repo, open_fresh_store, populate, sqlite_store
from tests.support.stores import empty_database


@pytest.fixture
async def restore_url(store_url: str, tmp_path: Path) -> AsyncIterator[str]:
    """A second, empty database of the same kind as `store_url`."""
    backend = "sqlite" if store_url.startswith("sqlite") else "postgresql"
    async with empty_database(backend, tmp_path / "restored") as url:
        yield url


@pytest.fixture
async def fresh(restore_url: str, tmp_path: Path) -> AsyncIterator[Store]:
    store = await open_fresh_store(restore_url, tmp_path / "restored" / "blobs")
    try:
        yield store
    finally:
        await store.close()


@pytest.fixture
async def filled(store: Store) -> Store:
    await populate(store)
    return store


@pytest.fixture
async def small(tmp_path: Path) -> AsyncIterator[Store]:
    """A populated SQLite store, for tests about targets and commands rather than databases."""
    store = await sqlite_store(tmp_path, "small")
    await populate(store, sites=2, items=6)
    yield store
    await store.close()


@pytest.fixture
async def small_fresh(tmp_path: Path) -> AsyncIterator[Store]:
    store = await sqlite_store(tmp_path, "small-restored")
    yield store
    await store.close()


@pytest.fixture
async def local_repo(tmp_path: Path) -> AsyncIterator[Repository]:
    repo = await new_repo(LocalTarget(tmp_path / "repo"))
    yield repo
    await repo.target.close()
