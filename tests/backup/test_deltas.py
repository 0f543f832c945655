"""Changed pages stored as deltas against their previous revision."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from backups.packs import pack_path
from backups.repository import Repository
from backups.targets.local import LocalTarget
from syncd.backup import snapshot
from syncd.backup.deltas import MAX_DEPTH, apply_delta, decode_map, make_delta, map_chunks
from syncd.backup.restore import restore_snapshot
from syncd.backup.snapshot import run_backup
from syncd.store.store import Store
from tests.backup.helpers import T0, content, new_repo, sqlite_store, text

KEY = "https://site0.example/tin-tuc/dai"


def test_a_small_edit_is_a_small_delta_and_a_rewrite_is_refused() -> None:
    base = text(1, 3000).encode()
    edited = base[:9000] + " (Đã chỉnh sửa) một câu mới.".encode() + base[9000:]
    delta = make_delta(base, edited)
    assert delta is not None and len(delta) < len(edited) // 50
    assert apply_delta(base, delta) == edited
    assert make_delta(base, text(2, 3000).encode()) is None


async def _edited_item(store: Store, revisions: int) -> None:
    await store.ensure_site("site0", "unit0", "dnn", "https://site0.example")
    body = text(7, 3000)
    for n in range(revisions):
        body = body + f" Cập nhật lần {n}."
        await store.record(
            "site0", KEY, {"title": "Bài dài", "body": body}, url=KEY, at=T0 + timedelta(days=n)
        )


@pytest.mark.parametrize("window", [None, 3])
async def test_edited_revisions_are_stored_as_short_delta_chains(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, window: int | None
) -> None:
    if window is not None:  # documents and their bases read from the database in many queries
        monkeypatch.setattr(snapshot, "_WINDOW", window)
    store = await sqlite_store(tmp_path)
    await _edited_item(store, 4)
    repo = await new_repo(LocalTarget(tmp_path / "repo"))
    first = await run_backup(store, repo)
    await _edited_item(store, MAX_DEPTH + 4)  # the first four exist: more edits on top
    second = await run_backup(store, repo)
    snap = await repo.snapshot(second.snapshot)
    deltas = {}
    for ids in map_chunks(snap.tree):
        deltas.update(decode_map(await repo.read(ids[0])))
    assert len(deltas) == MAX_DEPTH + 4 - 2  # every revision but the first and the 9 + 1st
    assert max(d.depth for d in deltas.values()) == MAX_DEPTH
    for d in deltas.values():  # each stored edit is a sliver of the 20 KB page
        loc = repo.index.lookup(d.delta)
        assert loc is not None and loc.length < 1000
    assert first.blobs_added == 4 and second.blobs_added == MAX_DEPTH

    fresh = await sqlite_store(tmp_path, "restored")
    report = await restore_snapshot(repo, "latest", fresh)
    assert report.complete, report.lines()
    assert await content(fresh) == await content(store)
    await fresh.close()
    await store.close()


async def test_a_lost_base_loses_the_revisions_built_on_it(tmp_path: Path) -> None:
    store = await sqlite_store(tmp_path)
    await _edited_item(store, 1)
    repo = await new_repo(LocalTarget(tmp_path / "repo"))
    await run_backup(store, repo)
    whole = set(repo.index.pack_sizes())
    await _edited_item(store, 3)
    await run_backup(store, repo)
    # the first revision is stored whole, in a pack of the first backup; lose that pack
    history = await store.history((await store.find_item(f"site0:{KEY}")).id)
    first_doc = history[-1].content_sha
    assert first_doc is not None
    loc = repo.index.lookup(first_doc)
    assert loc is not None and loc.pack in whole
    (tmp_path / "repo" / pack_path(loc.pack)).unlink()
    reopened = await Repository.open(
        LocalTarget(tmp_path / "repo"), recovery_key=repo.export_recovery_key()
    )
    fresh = await sqlite_store(tmp_path, "restored")
    report = await restore_snapshot(reopened, "latest", fresh)
    assert {(r.site, r.source_key, r.seq) for r in report.lost} == {
        ("site0", KEY, s) for s in (1, 2, 3)
    }
    await fresh.close()
    await store.close()
