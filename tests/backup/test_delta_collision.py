"""Two pages edited the same way get byte-identical deltas, so one repository object stands for
both; a restore must still rebuild both pages (found by the fault matrix's world)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path

from backups.targets.local import LocalTarget
from syncd.backup.deltas import decode_map, map_chunks
from syncd.backup.restore import restore_snapshot
from syncd.backup.snapshot import run_backup
from tests.backup.helpers import T0, content, new_repo, populate, sqlite_store, text


async def test_pages_sharing_one_delta_object_are_both_restored(tmp_path: Path) -> None:
    store = await sqlite_store(tmp_path)
    await populate(store, sites=2, items=12)
    repo = await new_repo(LocalTarget(tmp_path / "repo"))
    await run_backup(store, repo)
    for gen in (1, 2):
        for s in range(2):
            for i in range(4):
                key = f"https://site{s}.example/tin-tuc/{i}"
                body = text(s * 10_000 + i * 10) + f" cập nhật lần {gen}"
                at = T0 + timedelta(days=10 * gen, minutes=i)
                doc = {"title": f"Tin {s}-{i}", "body": body}
                await store.record(f"site{s}", key, doc, url=key, at=at)
        result = await run_backup(store, repo)

    snap = await repo.snapshot(result.snapshot)
    deltas = {}
    for ids in map_chunks(snap.tree):
        deltas.update(decode_map(await repo.read(ids[0])))
    shared = [oid for oid, n in Counter(d.delta for d in deltas.values()).items() if n > 1]
    assert shared, "the edits must produce at least one delta object shared by two pages"

    fresh = await sqlite_store(tmp_path, "restored")
    try:
        report = await restore_snapshot(repo, "latest", fresh)
        want, got = await content(store), await content(fresh)
        missing = set(want["blobs"]) - set(got["blobs"])
        assert not missing, f"{len(missing)} page documents not restored (report: {report.lines()})"
        assert report.complete and got == want
    finally:
        await fresh.close()
        await store.close()
