"""Fault matrix: damage one stored file in one way; verify names exactly what is lost and
everything else still reads."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from backups.errors import BackupError
from backups.repository import Repository
from backups.verify import verify
from tests.backups.helpers import PASSPHRASE, add_all, jpeg, local, new_repo, page


@dataclass
class Built:
    root: Path
    contents: dict[str, bytes]  # object id -> data
    packs: list[str]  # oldest first
    indexes: list[str]  # oldest first
    manifests: list[str]  # oldest first


async def _build(root: Path) -> Built:
    repo = await new_repo(local(root))
    contents: dict[str, bytes] = {}
    for gen in range(3):
        blobs = [page(gen * 100 + i, words=150) for i in range(40)] + [jpeg(gen, 5000)]
        ids = await add_all(repo, blobs)
        contents.update(zip(ids, blobs, strict=True))
        await repo.commit_snapshot({"all": await repo.add_refs(ids)})
    snaps = await repo.list_snapshots()
    by_age = sorted(
        repo.index.pack_sizes(), key=lambda p: (root / "data" / p[:2] / p).stat().st_mtime_ns
    )
    return Built(root, contents, by_age, list(repo.live_indexes), [s.manifest for s in snaps][::-1])


def _objects_in(repo: Repository, pack: str) -> list[tuple[str, int, int]]:
    return sorted((i, loc.offset, loc.length) for i, loc in repo.index.items() if loc.pack == pack)


def flip(path: Path, at: int) -> None:
    raw = bytearray(path.read_bytes())
    raw[at] ^= 0x40
    path.write_bytes(bytes(raw))


def truncate(path: Path, size: int) -> None:
    path.write_bytes(path.read_bytes()[:size])


async def _readable(repo: Repository, ids: list[str]) -> tuple[set[str], set[str]]:
    good: set[str] = set()
    bad: set[str] = set()
    async for object_id, result in repo.read_many(ids):
        (bad if isinstance(result, BackupError) else good).add(object_id)
    return good, bad


FAULTS = ["flip", "truncate", "delete", "replace-with-older"]


@pytest.mark.parametrize("fault", FAULTS)
async def test_damaged_data_pack(tmp_path: Path, fault: str) -> None:
    built = await _build(tmp_path)
    repo = await Repository.open(local(tmp_path), PASSPHRASE)
    victim = built.packs[-2]
    path = tmp_path / "data" / victim[:2] / victim
    objects = _objects_in(repo, victim)
    assert len(objects) >= 3
    if fault == "flip":
        target_id, offset, length = objects[1]
        flip(path, offset + length // 2)
        expected = {target_id}
    elif fault == "truncate":
        cut = objects[2][1] + 5
        truncate(path, cut)
        expected = {i for i, off, ln in objects if off + ln > cut}
    elif fault == "delete":
        path.unlink()
        expected = {i for i, _, _ in objects}
    else:
        older = built.packs[0]
        path.write_bytes((tmp_path / "data" / older[:2] / older).read_bytes())
        expected = {i for i, _, _ in objects}

    report = await verify(repo, read_data=True)
    assert report.lost_objects == expected
    assert report.damaged_packs == {victim}
    assert report.named("index") == report.named("snapshot") == set()
    # Without reading the data: a local pack is hashed and compared with its name.
    structure_only = await verify(await Repository.open(local(tmp_path), PASSPHRASE))
    assert structure_only.damaged_packs == {victim}

    everything = {i for i, _ in repo.index.items()}
    good, bad = await _readable(repo, list(everything))
    assert bad == expected
    assert good == everything - expected


def _damage_copy(path: Path, fault: str, older: Path) -> None:
    if fault == "flip":
        flip(path, len(path.read_bytes()) // 2)
    elif fault == "truncate":
        truncate(path, len(path.read_bytes()) - 1)
    elif fault == "delete":
        path.unlink()
    else:
        path.write_bytes(older.read_bytes())


@pytest.mark.parametrize("kind", ["index", "snapshots"])
@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("which", ["primary", "copy"])
async def test_one_damaged_metadata_copy_falls_back(
    tmp_path: Path, kind: str, fault: str, which: str
) -> None:
    built = await _build(tmp_path)
    names = built.indexes if kind == "index" else built.manifests
    victim, older = names[-1], names[0]
    prefix = kind if which == "primary" else f"{kind}-copy"
    _damage_copy(tmp_path / prefix / victim, fault, tmp_path / prefix / older)

    repo = await Repository.open(local(tmp_path), PASSPHRASE)
    assert repo.load_problems == []
    assert len(await repo.list_snapshots()) == 3
    report = await verify(repo, read_data=True)
    [problem] = report.problems
    assert (problem.kind, problem.name, problem.lost) == (kind.rstrip("s"), victim, False)
    assert f"{prefix}/{victim}" in problem.reason
    good, bad = await _readable(repo, list(built.contents))
    assert bad == set() and good == set(built.contents)


async def test_both_copies_of_an_old_manifest_lost_hides_no_other_snapshot(
    tmp_path: Path,
) -> None:
    built = await _build(tmp_path)
    middle = built.manifests[1]
    for prefix in ("snapshots", "snapshots-copy"):
        (tmp_path / prefix / middle).unlink()
    repo = await Repository.open(local(tmp_path), PASSPHRASE)
    snaps = await repo.list_snapshots()
    assert [s.manifest for s in snaps] == [built.manifests[2], built.manifests[0]]
    assert [s.detached for s in snaps] == [False, True]  # beyond the broken link
    report = await verify(repo, read_data=True)
    [problem] = report.problems
    assert (problem.kind, problem.name, problem.lost) == ("snapshot", middle, True)
    good, _ = await _readable(repo, list(built.contents))
    assert good == set(built.contents)  # the newest index lists every object


async def test_both_copies_of_an_index_lost_are_reported_and_lose_nothing(
    tmp_path: Path,
) -> None:
    built = await _build(tmp_path)
    victim = built.indexes[1]
    for prefix in ("index", "index-copy"):
        (tmp_path / prefix / victim).unlink()
    repo = await Repository.open(local(tmp_path), PASSPHRASE)
    assert len(repo.load_problems) == 1 and victim in repo.load_problems[0]
    report = await verify(repo)
    [problem] = report.problems
    assert (problem.kind, problem.name, problem.lost) == ("index", victim, True)
    # Opening indexed the packs the lost index covered from their own trailers.
    good, bad = await _readable(repo, list(built.contents))
    assert bad == set() and good == set(built.contents)


async def test_lost_index_is_rebuilt_from_pack_trailers(tmp_path: Path) -> None:
    built = await _build(tmp_path)
    victim = built.indexes[1]
    for prefix in ("index", "index-copy"):
        (tmp_path / prefix / victim).unlink()
    repo = await Repository.open(local(tmp_path), PASSPHRASE)
    assert await repo.reindex_unindexed_packs() == 0  # opening did it already
    await repo.commit_snapshot({})
    healed = await Repository.open(local(tmp_path), PASSPHRASE)
    assert healed.load_problems == [] and victim not in healed.live_indexes
    assert (await verify(healed, read_data=True)).ok
    good, bad = await _readable(healed, list(built.contents))
    assert bad == set() and good == set(built.contents)


@pytest.mark.parametrize("fault", ["flip", "delete-then-garbage"])
async def test_damaged_head_falls_back_to_newest_manifest(tmp_path: Path, fault: str) -> None:
    built = await _build(tmp_path)
    head = tmp_path / "HEAD"
    if fault == "flip":
        flip(head, 20)
    else:
        head.write_bytes(b"not a head at all, but long enough to look sealed")
    repo = await Repository.open(local(tmp_path), PASSPHRASE)
    assert len(repo.load_problems) == 1 and "HEAD" in repo.load_problems[0]
    assert repo.head == built.manifests[-1]
    assert len(await repo.list_snapshots()) == 3
    await repo.commit_snapshot({})
    healed = await Repository.open(local(tmp_path), PASSPHRASE)
    assert healed.load_problems == [] and len(await healed.list_snapshots()) == 4
