"""A backup takes unchanged tables over from the previous snapshot, and never misses a change."""

from __future__ import annotations

from sqlalchemy import select, update

from backups.repository import Repository
from syncd.backup.restore import restore_snapshot
from syncd.backup.rows import BLOBS_ENTRY, meta_name
from syncd.backup.snapshot import run_backup
from syncd.store import schema as t
from syncd.store.store import Store
from tests.backup.helpers import content, populate


async def test_no_change_backup_dumps_nothing_and_names_the_same_objects(
    filled: Store, fresh: Store, local_repo: Repository
) -> None:
    first = await run_backup(filled, local_repo)
    stages: list[str] = []
    second = await run_backup(
        filled, local_repo, progress=lambda stage, _d, _t: stages.append(stage)
    )
    # no table chunk was dumped and no blob was looked at: the fingerprints proved it
    assert "database" not in stages and "blobs" not in stages
    assert second.chunks == first.chunks and second.blobs == first.blobs
    newer, older = [s.tree for s in await local_repo.list_snapshots()][:2]
    assert {n for n in newer if newer[n] != older.get(n)} == {meta_name("a"), meta_name("b")}
    assert newer[BLOBS_ENTRY] == older[BLOBS_ENTRY]
    report = await restore_snapshot(local_repo, "latest", fresh)
    assert report.complete, report.lines()
    assert await content(fresh) == await content(filled)


async def test_rows_changed_in_place_are_backed_up(
    filled: Store, fresh: Store, local_repo: Repository
) -> None:
    await run_backup(filled, local_repo)
    async with filled.engine.begin() as conn:
        ids = await conn.execute(select(t.items.c.id).order_by(t.items.c.id))
        item_id = ids.scalars().first()
        await conn.execute(update(t.items).where(t.items.c.id == item_id).values(missing_count=7))
        await conn.execute(update(t.sites).values(failures=3, last_error="timeout, 'quoted'"))
    stages: list[str] = []
    await run_backup(filled, local_repo, progress=lambda stage, _d, _t: stages.append(stage))
    assert "database" in stages  # the changed tables were dumped again
    report = await restore_snapshot(local_repo, "latest", fresh)
    assert report.complete, report.lines()
    async with fresh.engine.connect() as conn:
        counts = (await conn.execute(select(t.items.c.missing_count))).scalars().all()
        sites = (await conn.execute(select(t.sites.c.failures, t.sites.c.last_error))).all()
    assert sorted(counts)[-1] == 7
    assert {tuple(s) for s in sites} == {(3, "timeout, 'quoted'")}


async def test_new_rows_after_a_no_change_backup_are_backed_up(
    filled: Store, fresh: Store, local_repo: Repository
) -> None:
    await run_backup(filled, local_repo)
    await run_backup(filled, local_repo)  # taken over whole from the first
    await populate(filled, sites=1, items=3, start=200)
    third = await run_backup(filled, local_repo)
    assert third.blobs_added > 0
    report = await restore_snapshot(local_repo, "latest", fresh)
    assert report.complete, report.lines()
    assert await content(fresh) == await content(filled)
