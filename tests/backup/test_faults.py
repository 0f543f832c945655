"""Fault matrix at the store level: damage what a backup wrote; verify finds it, and a restore
brings back everything else and names exactly the revisions that were lost."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from backups.errors import BackupError, WrongKey
from backups.packs import pack_path
from backups.repository import Repository
from backups.targets.local import LocalTarget
from backups.verify import verify
from syncd.backup.restore import RestoreReport, restore_snapshot
from syncd.backup.snapshot import run_backup
from syncd.store.store import Store
from tests.backup.helpers import (
    all_revisions,
    content,
    new_repo,
    populate,
    revisions_using,
    sqlite_store,
)


@dataclass
class Backed:
    root: Path
    store: Store
    repo: Repository
    snapshot: str

    def pack_file(self, pack: str) -> Path:
        return self.root / "repo" / pack_path(pack)

    def pack_of(self, object_id: str) -> str:
        loc = self.repo.index.lookup(object_id)
        assert loc is not None
        return loc.pack

    async def blob_ids(self) -> set[str]:
        return set((await content(self.store))["blobs"])


@pytest.fixture
async def backed(tmp_path: Path) -> AsyncIterator[Backed]:
    store = await sqlite_store(tmp_path)
    await populate(store, sites=2, items=8)
    repo = await new_repo(LocalTarget(tmp_path / "repo"))
    result = await run_backup(store, repo)
    yield Backed(tmp_path, store, repo, result.snapshot)
    await store.close()


async def _restore(
    b: Backed, name: str = "restored", fallback: Repository | None = None
) -> tuple[Store, RestoreReport]:
    fresh = await sqlite_store(b.root, name)
    repo = await Repository.open(
        LocalTarget(b.root / "repo"), recovery_key=b.repo.export_recovery_key()
    )
    report = await restore_snapshot(repo, b.snapshot, fresh, fallback=fallback)
    return fresh, report


async def _unreadable(b: Backed, ids: set[str]) -> set[str]:
    repo = await Repository.open(
        LocalTarget(b.root / "repo"), recovery_key=b.repo.export_recovery_key()
    )
    return {
        oid
        for oid, res in [x async for x in repo.read_many(sorted(ids))]
        if isinstance(res, BackupError)
    }


def _damage(path: Path, how: str) -> None:
    raw = path.read_bytes()
    if how == "delete":
        path.unlink()
    elif how == "truncate":
        path.write_bytes(raw[: len(raw) // 2])
    else:  # flip one byte in the middle
        mid = len(raw) // 2
        path.write_bytes(raw[:mid] + bytes([raw[mid] ^ 0x40]) + raw[mid + 1 :])


@pytest.mark.parametrize("how", ["flip", "truncate", "delete"])
async def test_damaged_data_pack_loses_exactly_its_revisions(backed: Backed, how: str) -> None:
    blobs = await backed.blob_ids()
    packs = [backed.pack_of(sha) for sha in blobs]
    victim = max(set(packs), key=packs.count)  # the pack holding the most blobs
    _damage(backed.pack_file(victim), how)

    report = await verify(backed.repo, read_data=True)
    assert not report.ok
    assert victim in report.damaged_packs

    lost_blobs = await _unreadable(backed, blobs)
    assert lost_blobs, "the damage must make some blob unreadable"
    expected = await revisions_using(backed.store, lost_blobs)
    fresh, restored = await _restore(backed)
    try:
        assert {(r.site, r.source_key, r.seq) for r in restored.lost} == expected
        assert not restored.complete
        got, want = await content(fresh), await content(backed.store)
        assert set(got["blobs"]) == set(want["blobs"]) - lost_blobs
        assert got["revisions"] == want["revisions"]  # the rows themselves all came back
    finally:
        await fresh.close()


async def test_one_lost_copy_of_the_database_dump_loses_nothing(backed: Backed) -> None:
    snap = await backed.repo.snapshot(backed.snapshot)
    first_copy_packs = {
        backed.pack_of(oid) for name, oid in snap.tree.items() if name.startswith("db/a/")
    }
    second_copy_packs = {
        backed.pack_of(oid) for name, oid in snap.tree.items() if name.startswith("db/b/")
    }
    assert not first_copy_packs & second_copy_packs  # the two copies never share a pack
    for pack in first_copy_packs:
        _damage(backed.pack_file(pack), "delete")
    assert not (await verify(backed.repo)).ok
    fresh, restored = await _restore(backed)
    try:
        assert restored.complete, restored.lines()
        assert await content(fresh) == await content(backed.store)
    finally:
        await fresh.close()


async def test_revisions_lost_in_both_dump_copies_are_listed(backed: Backed) -> None:
    snap = await backed.repo.snapshot(backed.snapshot)
    for copy in ("a", "b"):
        oid = snap.tree[f"db/{copy}/revisions/00000000"]
        loc = backed.repo.index.lookup(oid)
        assert loc is not None
        path = backed.pack_file(loc.pack)
        raw = bytearray(path.read_bytes())
        raw[loc.offset + loc.length // 2] ^= 0x01  # only this record is hurt
        path.write_bytes(bytes(raw))
    assert not (await verify(backed.repo, read_data=True)).ok
    fresh, restored = await _restore(backed)
    try:
        assert "revisions/00000000" in restored.lost_chunks
        assert {(r.site, r.source_key, r.seq) for r in restored.lost} == await all_revisions(
            backed.store
        )
        assert {r.reason for r in restored.lost} == {"revision row lost"}
    finally:
        await fresh.close()


async def test_a_second_target_supplies_what_the_first_lost(backed: Backed) -> None:
    second = await new_repo(LocalTarget(backed.root / "second"))
    await run_backup(backed.store, second)
    for pack in set(backed.repo.index.pack_sizes()):
        _damage(backed.pack_file(pack), "delete")  # the first target lost every data pack
    # the first copy of the dump is gone with them; the manifests still name every object
    fresh, restored = await _restore(backed, fallback=second)
    try:
        assert restored.complete, restored.lines()
        assert restored.from_fallback > 0
        assert await content(fresh) == await content(backed.store)
    finally:
        await fresh.close()


async def test_wrong_key_is_refused(backed: Backed) -> None:
    other = await new_repo(LocalTarget(backed.root / "other"))
    with pytest.raises(WrongKey):
        await Repository.open(
            LocalTarget(backed.root / "repo"), recovery_key=other.export_recovery_key()
        )
