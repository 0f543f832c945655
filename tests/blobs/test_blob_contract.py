"""The BlobStore contract, on the local folder store and on the target-backed store
(over a real S3 bucket and over a LocalTarget)."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from backups.targets.local import LocalTarget
from syncd.errors import BlobCorrupt, BlobMissing
from syncd.store.blobs import BlobStore, LocalBlobStore
from syncd.store.blobs_s3 import S3BlobStore, blob_key
from tests.support.seaweed import SeaweedServer


@dataclass
class Backend:
    store: BlobStore
    corrupt: Callable[[str], Awaitable[None]]  # flip one byte of the stored blob


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


def _local(tmp_path: Path) -> Backend:
    store = LocalBlobStore(tmp_path / "blobs")

    async def corrupt(sha: str) -> None:
        path = store.root / sha[:2] / f"{sha}.zst"
        path.write_bytes(_flip(path.read_bytes(), len(path.read_bytes()) // 2))

    return Backend(store, corrupt)


def _on_target(store: S3BlobStore) -> Backend:
    async def corrupt(sha: str) -> None:
        stored = await store.target.get(blob_key(sha))
        await store.target.put(blob_key(sha), _flip(stored, len(stored) // 2))

    return Backend(store, corrupt)


@pytest.fixture(params=["local", "s3", "target-folder"])
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    if request.param == "local":
        made = _local(tmp_path)
    elif request.param == "s3":
        server: SeaweedServer = request.getfixturevalue("seaweed")
        made = _on_target(S3BlobStore(server.target(server.create_bucket())))
    else:
        made = _on_target(S3BlobStore(LocalTarget(tmp_path / "target")))
    yield made
    await made.store.close()


async def test_round_trip(backend: Backend) -> None:
    data = "<p>Tin tức xã Đắk Hà</p>".encode() * 500
    sha = await backend.store.put(data)
    assert sha == hashlib.sha256(data).hexdigest()
    assert await backend.store.has(sha)
    assert await backend.store.get(sha) == data


async def test_put_is_idempotent(backend: Backend) -> None:
    first = await backend.store.put(b"same bytes")
    second = await backend.store.put(b"same bytes")
    assert first == second
    assert [i async for i in backend.store.ids()] == [first]


async def test_corruption_is_detected(backend: Backend) -> None:
    sha = await backend.store.put(bytes(range(256)) * 64)
    await backend.corrupt(sha)
    with pytest.raises(BlobCorrupt, match=sha):
        await backend.store.get(sha)


async def test_missing_blob(backend: Backend) -> None:
    sha = hashlib.sha256(b"never stored").hexdigest()
    assert not await backend.store.has(sha)
    with pytest.raises(BlobMissing, match=sha):
        await backend.store.get(sha)


async def test_ids_lists_every_blob(backend: Backend) -> None:
    assert [i async for i in backend.store.ids()] == []
    shas = {await backend.store.put(f"blob {n}".encode()) for n in range(20)}
    assert sorted([i async for i in backend.store.ids()]) == sorted(shas)


async def test_stat_and_delete(backend: Backend) -> None:
    """What `syncd db check --prune-orphans` needs: a blob's stored size and age, and its
    deletion, which touches no other blob and is idempotent."""
    gone = await backend.store.put(b"orphan " * 1000)
    kept = await backend.store.put(b"kept " * 1000)
    stat = await backend.store.stat(gone)
    assert stat is not None
    assert 0 < stat.size < 7000  # as stored: compressed
    assert stat.modified is not None
    assert abs(datetime.now(UTC) - stat.modified) < timedelta(hours=1)  # a clock, not a speed
    await backend.store.delete(gone)
    assert not await backend.store.has(gone)
    assert await backend.store.stat(gone) is None
    with pytest.raises(BlobMissing):
        await backend.store.get(gone)
    await backend.store.delete(gone)  # absent: no error
    assert [i async for i in backend.store.ids()] == [kept]
    assert await backend.store.get(kept) == b"kept " * 1000


async def test_local_store_reads_the_earlier_two_level_layout(tmp_path: Path) -> None:
    """Blobs a store wrote as ab/cd/abcd....zst (before one level) are read, listed and not
    written again."""
    store = LocalBlobStore(tmp_path / "blobs")
    sha = await store.put(b"bai viet cu")
    new = store.root / sha[:2] / f"{sha}.zst"
    old = store.root / sha[:2] / sha[2:4] / f"{sha}.zst"
    old.parent.mkdir()
    new.rename(old)
    assert await store.get(sha) == b"bai viet cu"
    assert await store.has(sha)
    assert [s async for s in store.ids()] == [sha]
    assert await store.put(b"bai viet cu") == sha
    assert not new.exists()
    old.write_bytes(_flip(old.read_bytes(), 3))
    with pytest.raises(BlobCorrupt):
        await store.get(sha)
    stat = await store.stat(sha)
    assert stat is not None and stat.size == old.stat().st_size
    await store.delete(sha)
    assert not old.exists() and [s async for s in store.ids()] == []
