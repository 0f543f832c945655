"""Backup then restore gives back every item, revision and blob, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import delete, func, select

from backups.packs import FLAG_REFS
from backups.repository import Repository
from syncd.backup.restore import restore_snapshot
from syncd.backup.rows import BLOBS_ENTRY
from syncd.backup.snapshot import run_backup
from syncd.store import schema as t
from syncd.store.blobs import decompress_verified
from syncd.store.store import Store
from tests.backup.helpers import content, new_repo, populate
from tests.support.seaweed import SeaweedServer


async def test_round_trip_local_target(filled: Store, fresh: Store, local_repo: Repository) -> None:
    result = await run_backup(filled, local_repo)
    assert result.blobs_added == result.blobs > 0
    report = await restore_snapshot(local_repo, "latest", fresh)
    assert report.complete, report.lines()
    assert await content(fresh) == await content(filled)


async def test_round_trip_s3_target(
    filled: Store, fresh: Store, seaweed: SeaweedServer, s3_bucket: str
) -> None:
    repo = await new_repo(seaweed.target(s3_bucket))
    result = await run_backup(filled, repo)
    reopened = await Repository.open(
        seaweed.target(s3_bucket), recovery_key=repo.export_recovery_key()
    )
    report = await restore_snapshot(reopened, result.snapshot, fresh)
    assert report.complete, report.lines()
    assert await content(fresh) == await content(filled)


async def test_documents_are_backed_up_as_blobs_not_as_a_table(
    filled: Store, fresh: Store, local_repo: Repository
) -> None:
    async with filled.engine.begin() as conn:
        rows = (await conn.execute(select(t.documents.c.sha, t.documents.c.data))).all()
        held: dict[str, bytes] = {sha: data for sha, data in rows}
        assert len(held) > 10
        # as in a store from before migration 0002: some documents are files, not rows
        as_files = sorted(held)[::3]
        await conn.execute(delete(t.documents).where(t.documents.c.sha.in_(as_files)))
    for sha in as_files:
        await filled.files.put(decompress_verified(sha, held[sha]))
    result = await run_backup(filled, local_repo)
    assert result.blobs_added == result.blobs and not result.unreadable_blobs
    snap = (await local_repo.list_snapshots())[0]
    dumped = {name.split("/")[2] for name in snap.tree if name.startswith("db/a/")}
    assert "revisions" in dumped and "blobs" in dumped
    assert "documents" not in dumped  # its content is in the snapshot once, as blobs
    assert all(local_repo.has(sha) for sha in held)
    report = await restore_snapshot(local_repo, "latest", fresh)
    assert report.complete, report.lines()
    assert "documents" not in report.rows
    assert await content(fresh) == await content(filled)
    # a restore writes every document as a file, and the store reads them from there
    async with fresh.engine.connect() as conn:
        count = (await conn.execute(select(func.count()).select_from(t.documents))).scalar_one()
    assert count == 0
    assert all([await fresh.files.has(sha) for sha in held])


async def test_restored_store_keeps_working(
    filled: Store, fresh: Store, local_repo: Repository
) -> None:
    await run_backup(filled, local_repo)
    await restore_snapshot(local_repo, "latest", fresh)
    # New rows must not collide with restored ids (PostgreSQL sequences moved past them).
    await fresh.ensure_site("site9", "unit9", "dnn", "https://site9.example")
    recorded = await fresh.record(
        "site0", "https://site0.example/tin-tuc/new", {"title": "mới"}, url="u"
    )
    assert recorded.changed and recorded.seq == 1
    assert (await fresh.find_item("site0:https://site0.example/tin-tuc/new")).id == recorded.item_id


async def test_incremental_backup_uploads_only_what_is_new(
    filled: Store, local_repo: Repository
) -> None:
    first = await run_backup(filled, local_repo)
    unchanged = await run_backup(filled, local_repo)
    assert unchanged.blobs_added == 0
    # only the dump's description (it carries the time) is new; no table chunk changed
    assert unchanged.chunks_added == 1
    await populate(filled, sites=1, items=4, start=100)
    second = await run_backup(filled, local_repo)
    new_blobs = second.blobs - first.blobs
    assert new_blobs > 0
    assert second.blobs_added == new_blobs
    # appended revisions touch the last chunk of each growing table, not every chunk
    assert 0 < second.chunks_added < 2 * second.chunks
    snaps = await local_repo.list_snapshots()
    assert [s.id for s in snaps] == [second.snapshot, unchanged.snapshot, first.snapshot]
    held = await local_repo.reachable([snaps[0].tree[BLOBS_ENTRY]])
    lists = {oid for oid in held if _flags(local_repo, oid) & FLAG_REFS}
    assert lists and len(held - lists) == second.blobs  # every blob, besides its lists


def _flags(repo: Repository, oid: str) -> int:
    loc = repo.index.lookup(oid)
    assert loc is not None
    return loc.flags


async def test_backup_records_nothing_for_an_empty_store(
    store: Store, fresh: Store, local_repo: Repository
) -> None:
    result = await run_backup(store, local_repo)
    assert result.blobs == 0
    report = await restore_snapshot(local_repo, "latest", fresh)
    assert report.complete and report.rows["sites"] == 1
