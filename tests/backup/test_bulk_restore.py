"""A restore writes blobs in bulk (no fsync each), and a re-run repairs what a crash tore."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from backups.repository import Repository
from syncd.backup.restore import restore_snapshot
from syncd.backup.snapshot import run_backup
from syncd.store import schema as t
from syncd.store.blobs import LocalBlobStore, compress
from syncd.store.store import Store
from tests.backup.helpers import content


async def test_restore_replaces_a_torn_blob_file_left_by_a_crashed_attempt(
    small: Store, small_fresh: Store, local_repo: Repository
) -> None:
    await run_backup(small, local_repo)
    async with small.engine.connect() as conn:
        sha = (await conn.execute(select(t.blobs.c.sha).limit(1))).scalar_one()
    blobs = small_fresh.files
    assert isinstance(blobs, LocalBlobStore)
    # What an interrupted bulk write can leave under the final name after a power cut.
    torn = blobs.root / sha[:2] / f"{sha}.zst"
    torn.parent.mkdir(parents=True)
    torn.write_bytes(compress(b"half a blob")[:7])
    report = await restore_snapshot(local_repo, "latest", small_fresh)
    assert report.complete, report.lines()
    assert await content(small_fresh) == await content(small)


async def test_bulk_put_then_sync_reads_back(tmp_path: Path) -> None:
    blobs = LocalBlobStore(tmp_path / "blobs")
    data = "Ủy ban nhân dân huyện".encode() * 100
    sha = await blobs.put_bulk(data)
    await blobs.sync_bulk()
    assert await blobs.get(sha) == data
    assert not list((tmp_path / "blobs").rglob(".tmp-*"))
