"""Blobs written with the group commit: durable before the rows that name them, a failing
blob fails only its own write, and nothing torn or half-named is left behind."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from syncd.store import blobs as blob_module
from syncd.store import schema as t
from syncd.store.blobs import LocalBlobStore, blob_id
from syncd.store.canonical import canonical_bytes
from syncd.store.store import Store


def _document(n: int) -> dict[str, Any]:
    return {"title": f"Tin {n}", "body": f"<p>Nội dung {n}</p>", "media": []}


def _block(root: Path, sha: str) -> None:
    """Make the blob's folder impossible to create: a plain file stands where it would go."""
    (root / sha[:2]).mkdir(parents=True, exist_ok=True)
    (root / sha[:2] / sha[2:4]).write_bytes(b"not a folder")


def _leftovers(root: Path) -> list[Path]:
    return list(root.rglob(".tmp-*"))


async def _revisions(store: Store) -> int:
    async with store.engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(t.revisions))).scalar_one())


def test_put_group_sync_writes_skips_and_reports(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    datas = [f"blob {n}".encode() * 50 for n in range(5)]
    shas = [blob_id(d) for d in datas]
    first = store.put_group_sync({shas[0]: datas[0]})
    assert first == {}
    before = store._path(shas[0]).stat().st_mtime_ns
    _block(store.root, shas[4])
    errors = store.put_group_sync(dict(zip(shas, datas, strict=True)))
    assert set(errors) == {shas[4]}
    assert isinstance(errors[shas[4]], OSError)
    # an existing blob is left as it is; the others are whole and verified on read
    assert store._path(shas[0]).stat().st_mtime_ns == before
    for sha, data in zip(shas[:4], datas[:4], strict=True):
        assert store._get_sync(sha) == data
    assert _leftovers(store.root) == []


async def test_concurrent_writes_share_commits_and_blobs(store: Store) -> None:
    images = [f"image {n}".encode() * 300 for n in range(20)]

    async def one(n: int) -> None:
        sha = await store.put_blob(images[n], "image/jpeg")
        await store.record("konray", f"/tin/{n}", _document(n), url=f"/tin/{n}", media=[sha])

    await asyncio.gather(*(one(n) for n in range(20)))
    assert await _revisions(store) == 20
    for n in range(20):
        assert await store.blobs.get(blob_id(images[n])) == images[n]
        item = await store.find_item(f"konray:/tin/{n}")
        _, document = await store.document(item.id)
        assert document == _document(n)


async def test_a_blob_that_cannot_be_written_fails_only_its_own_record(store: Store) -> None:
    assert isinstance(store.blobs, LocalBlobStore)
    shas = [blob_id(canonical_bytes(_document(n))) for n in range(8)]
    assert len({sha[:4] for sha in shas}) == len(shas)  # blocking one folder blocks one blob
    _block(store.blobs.root, shas[3])
    outcomes = await asyncio.gather(
        *(store.record("konray", f"/tin/{n}", _document(n), url=f"/tin/{n}") for n in range(8)),
        return_exceptions=True,
    )
    assert isinstance(outcomes[3], OSError)
    assert all(not isinstance(o, BaseException) for i, o in enumerate(outcomes) if i != 3)
    assert await _revisions(store) == 7
    assert _leftovers(store.blobs.root) == []


async def test_no_row_commits_when_the_blobs_cannot_be_made_durable(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing_sync(folder: Path) -> None:
        raise OSError(5, "simulated I/O error while flushing")

    monkeypatch.setattr(blob_module, "sync_folder_fs", failing_sync)
    # PostgreSQL keeps one fsynced put per blob; make that fail the same way
    monkeypatch.setattr(os, "fsync", lambda fd: failing_sync(Path()))
    with pytest.raises(OSError):
        await store.record("konray", "/tin/1", _document(1), url="/tin/1")
    monkeypatch.undo()
    assert await _revisions(store) == 0
    sha = blob_id(canonical_bytes(_document(1)))
    assert isinstance(store.blobs, LocalBlobStore)
    # nothing under the final name that was never flushed, and no temp file left behind
    assert not store.blobs._path(sha).exists()
    assert _leftovers(store.blobs.root) == []
    # once the disk is healthy again the same write goes through
    recorded = await store.record("konray", "/tin/1", _document(1), url="/tin/1")
    assert recorded.seq == 1
    assert await store.blobs.get(sha) == canonical_bytes(_document(1))
