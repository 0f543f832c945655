"""Damage that must cost no more than the damaged object's own content, and must heal: a lost
data pack (whichever it is: dictionaries live apart), an index lost in both copies, a pack
changed in place; on a local folder and on SeaweedFS."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from backups.errors import BackupError
from backups.packs import FLAG_DICT, pack_path
from backups.prune import mark, sweep
from backups.reindex import clear_damage_marks, marked_damaged, present_packs, rebuild_index
from backups.repository import Repository
from backups.targets.base import Target
from backups.targets.local import LocalTarget
from backups.verify import verify
from syncd.backup.restore import restore_snapshot
from syncd.backup.schedule import backup_and_record
from syncd.backup.snapshot import run_backup
from syncd.store.status import recent_events
from syncd.store.store import Store
from tests.backup.helpers import (
    content,
    new_repo,
    populate,
    revisions_using,
    sqlite_store,
)


class Place:
    """Where the repository lives, and how a test damages it behind the repository's back."""

    def __init__(self, root: Path | None = None, seaweed: Any = None, bucket: str = "") -> None:
        self.root, self.seaweed, self.bucket = root, seaweed, bucket

    def target(self) -> Target:
        if self.root is not None:
            return LocalTarget(self.root)
        return self.seaweed.target(self.bucket)  # type: ignore[no-any-return]

    def read(self, name: str) -> bytes:
        if self.root is not None:
            return (self.root / name).read_bytes()
        answer = self.seaweed.client.get_object(Bucket=self.bucket, Key=f"repo/{name}")
        return answer["Body"].read()  # type: ignore[no-any-return]

    def write(self, name: str, data: bytes, *, checksum: bool = True) -> None:
        """Replace an object, as a tool or bit rot would; on S3 with the SHA-256 checksum
        that S3 clients send, unless `checksum` is false."""
        if self.root is not None:
            (self.root / name).write_bytes(data)
            return
        extra = {}
        if checksum:
            extra["ChecksumSHA256"] = base64.b64encode(hashlib.sha256(data).digest()).decode()
        self.seaweed.client.put_object(
            Bucket=self.bucket, Key=f"repo/{name}", Body=data, **extra
        )

    def delete(self, name: str) -> None:
        if self.root is not None:
            (self.root / name).unlink()
        else:
            self.seaweed.client.delete_object(Bucket=self.bucket, Key=f"repo/{name}")


@pytest.fixture(params=["local", "s3"])
def place(request: pytest.FixtureRequest, tmp_path: Path) -> Place:
    if request.param == "local":
        return Place(root=tmp_path / "repo")
    seaweed = request.getfixturevalue("seaweed")
    return Place(seaweed=seaweed, bucket=seaweed.create_bucket())


@dataclass
class Backed:
    tmp: Path
    place: Place
    store: Store
    key: str
    snapshots: list[str]

    async def open(self) -> Repository:
        return await Repository.open(self.place.target(), recovery_key=self.key)


async def _back_up(tmp_path: Path, place: Place) -> Backed:
    """Two backups of a store whose sites have enough pages to train a dictionary each."""
    store = await sqlite_store(tmp_path)
    await populate(store, sites=2, items=12)
    repo = await new_repo(place.target())
    first = await run_backup(store, repo)
    await populate(store, sites=2, items=4, start=12)
    second = await run_backup(store, repo)
    head = await repo.snapshot(second.snapshot)
    assert len([i async for i in repo.target.list("dicts/")]) == 2  # one per site
    await repo.target.close()
    return Backed(tmp_path, place, store, repo.export_recovery_key(), [first.snapshot, head.id])


@pytest.fixture
async def backed(tmp_path: Path, place: Place) -> AsyncIterator[Backed]:
    b = await _back_up(tmp_path, place)
    yield b
    await b.store.close()


async def _unreadable(repo: Repository) -> set[str]:
    ids = [oid for oid, _ in repo.index.items()]
    return {oid async for oid, res in repo.read_many(ids) if isinstance(res, BackupError)}


async def _restore(b: Backed, name: str, snapshot: str = "latest") -> tuple[Store, Any]:
    fresh = await sqlite_store(b.tmp, name)
    report = await restore_snapshot(await b.open(), snapshot, fresh)
    return fresh, report


async def _restores_whole(b: Backed) -> None:
    fresh, restored = await _restore(b, "restored")
    try:
        assert restored.complete, restored.lines()
        assert await content(fresh) == await content(b.store)
    finally:
        await fresh.close()


async def test_losing_any_one_data_pack_loses_only_that_packs_objects(backed: Backed) -> None:
    repo = await backed.open()
    head = await repo.snapshot(backed.snapshots[-1])
    assert head.tree and repo.index.pack_sizes()
    assert not [oid for oid, loc in repo.index.items() if loc.flags & FLAG_DICT]
    by_pack = repo.index.by_pack()
    for pack, objects in sorted(by_pack.items()):
        path = pack_path(pack)
        saved = backed.place.read(path)
        backed.place.delete(path)
        try:
            assert await _unreadable(await backed.open()) == {oid for oid, _ in objects}, pack
        finally:
            backed.place.write(path, saved)


async def test_losing_the_pack_of_the_first_pages_loses_only_their_revisions(
    backed: Backed,
) -> None:
    repo = await backed.open()
    blobs = set((await content(backed.store))["blobs"])
    first_pages = min(
        (loc for oid, loc in repo.index.items() if oid in blobs), key=lambda loc: loc.offset
    )
    victim = first_pages.pack
    lost = {oid for oid, _ in repo.index.by_pack()[victim]}
    backed.place.delete(pack_path(victim))
    fresh, report = await _restore(backed, "restored")
    try:
        assert {(r.site, r.source_key, r.seq) for r in report.lost} == await revisions_using(
            backed.store, lost & blobs
        )
        assert set((await content(fresh))["blobs"]) == blobs - lost
    finally:
        await fresh.close()


async def test_both_copies_of_an_index_lost_lose_nothing_and_restore_rebuilds(
    backed: Backed,
) -> None:
    repo = await backed.open()
    victim = repo.live_indexes[0]
    for prefix in ("index", "index-copy"):
        backed.place.delete(f"{prefix}/{victim}")
    report = await verify(await backed.open())
    assert ("index", victim, True) in {(d.kind, d.name, d.lost) for d in report.problems}
    await _restores_whole(backed)
    # The repair step writes a new index from the packs; then nothing is missing any more.
    repaired = await rebuild_index(await backed.open())
    assert repaired.published is not None and repaired.adopted > 0
    assert (await verify(await backed.open(), read_data=True)).ok


@pytest.mark.parametrize("how", ["delete", "truncate", "flip"])
async def test_the_next_backup_heals_a_lost_pack(backed: Backed, how: str) -> None:
    repo = await backed.open()
    blobs = set((await content(backed.store))["blobs"])
    packs = [loc.pack for oid, loc in repo.index.items() if oid in blobs]
    victim = max(set(packs), key=packs.count)
    path = pack_path(victim)
    raw = backed.place.read(path)
    if how == "delete":
        backed.place.delete(path)
    elif how == "truncate":
        backed.place.write(path, raw[: len(raw) // 2])
    else:
        middle = len(raw) // 2
        backed.place.write(path, raw[:middle] + bytes([raw[middle] ^ 1]) + raw[middle + 1 :])
    # Plain verify: a listing would not show the flip, so verify leaves a mark for the backup.
    assert not (await verify(await backed.open())).ok

    result = await backup_and_record(backed.store, await backed.open(), "the test target")
    assert result.lost_objects > 0 and result.healed_objects > 0
    healed = [e for e in await recent_events(backed.store.engine) if e.kind == "backup.healed"]
    assert len(healed) == 1 and f"{result.healed_objects} of {result.lost_objects}" in (
        healed[0].message
    )

    assert (await verify(await backed.open(), read_data=True)).ok
    await _restores_whole(backed)

    # Prune after healing deletes nothing any snapshot still needs.
    repo = await backed.open()
    await mark(repo)
    await sweep(await backed.open(), timedelta(0))
    repo = await backed.open()
    assert await _unreadable(repo) == set()
    assert (await verify(repo, read_data=True)).ok
    assert victim not in repo.index.pack_sizes()
    assert victim not in await present_packs(repo.target)  # the damaged one is reclaimed
    await clear_damage_marks(repo)
    assert await marked_damaged(repo.target) == set()
    for n, snapshot in enumerate(backed.snapshots):
        fresh, restored = await _restore(backed, f"again{n}", snapshot)
        await fresh.close()
        assert restored.complete, restored.lines()


@pytest.mark.parametrize("how", ["flip", "zero-4k"])
async def test_plain_verify_catches_a_pack_changed_in_place(backed: Backed, how: str) -> None:
    repo = await backed.open()
    victim = max(repo.index.pack_sizes().items(), key=lambda kv: kv[1])[0]
    raw = bytearray(backed.place.read(pack_path(victim)))
    if how == "flip":
        raw[len(raw) // 2] ^= 0x01
    else:
        raw[4096:8192] = bytes(4096)
    backed.place.write(pack_path(victim), bytes(raw))
    report = await verify(await backed.open())
    assert report.damaged_packs == {victim}
    assert report.packs_hashed == report.packs_checked


async def test_without_a_stored_checksum_verify_falls_back_to_the_size(
    tmp_path: Path, seaweed: Any, s3_bucket: str
) -> None:
    backed = await _back_up(tmp_path, Place(seaweed=seaweed, bucket=s3_bucket))
    await backed.store.close()
    repo = await backed.open()
    victim = next(iter(repo.index.pack_sizes()))
    raw = bytearray(backed.place.read(pack_path(victim)))
    raw[len(raw) // 2] ^= 0x01
    backed.place.write(pack_path(victim), bytes(raw), checksum=False)
    report = await verify(await backed.open())
    assert report.ok  # the same size and no checksum: only --read-data can tell
    assert report.packs_hashed == report.packs_checked - 1
    assert victim in (await verify(await backed.open(), read_data=True)).damaged_packs
