from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from backups.errors import PreconditionFailed, RebaseConflict
from backups.prune import forget, mark, sweep
from backups.repository import Repository
from backups.retention import RetentionPolicy
from backups.verify import verify
from tests.backups.helpers import PASSPHRASE, add_all, local, new_repo, oid, page

T0 = datetime(2026, 11, 1, tzinfo=UTC)


async def _history(root: Path) -> tuple[Repository, list[list[str]]]:
    repo = await new_repo(local(root))
    gens = []
    for gen in range(4):
        ids = await add_all(repo, [page(gen * 100 + i, words=200) for i in range(25)])
        gens.append(ids)
        await repo.commit_snapshot({"all": await repo.add_refs(ids)}, time=T0 + timedelta(days=gen))
    return repo, gens


def _pack_files(root: Path) -> set[str]:
    return {p.name for p in (root / "data").rglob("*") if p.is_file()}


async def test_forget_then_two_phase_prune(tmp_path: Path) -> None:
    repo, gens = await _history(tmp_path)
    result = await forget(repo, RetentionPolicy(last=2), now=T0 + timedelta(days=4))
    assert len(result.forgotten) == 2 and len(result.kept) == 2
    repo = await Repository.open(local(tmp_path), PASSPHRASE)
    assert len(await repo.list_snapshots()) == 2
    assert (await verify(repo)).ok  # the chain is still whole after forgetting

    marked = await mark(repo, now=T0 + timedelta(days=5))
    dead_objects = {i: loc.pack for i, loc in repo.index.items() if loc.pack in marked}
    assert marked and set(gens[0]) <= set(dead_objects)
    assert await sweep(repo, timedelta(hours=1), now=T0 + timedelta(days=5, minutes=30)) == set()

    # a backup re-adds a page that only a marked pack holds: dedup makes that pack live again
    revived = await Repository.open(local(tmp_path), PASSPHRASE)
    assert await revived.add(gens[0][0], page(0, words=200), "page") is False
    await revived.commit_snapshot({"again": gens[0][0]}, time=T0 + timedelta(days=5))
    revived_pack = revived.index.lookup(gens[0][0])
    assert revived_pack is not None

    repo = await Repository.open(local(tmp_path), PASSPHRASE)
    before = _pack_files(tmp_path)
    deleted = await sweep(repo, timedelta(hours=1), now=T0 + timedelta(days=6))
    assert deleted and revived_pack.pack not in deleted and deleted <= marked
    assert _pack_files(tmp_path) == before - deleted
    assert not list((tmp_path / "pending-delete").iterdir())

    reopened = await Repository.open(local(tmp_path), PASSPHRASE)
    report = await verify(reopened, read_data=True)
    assert report.ok, report.problems
    for snap in await reopened.list_snapshots():
        for object_id in await reopened.reachable(snap.tree.values()):
            await reopened.read(object_id)
    assert await reopened.read(gens[0][0]) == page(0, words=200)
    gone = [i for i, pack in dead_objects.items() if pack in deleted]
    assert gone and not any(reopened.has(i) for i in gone)


async def test_backup_that_reused_a_swept_pack_cannot_commit(tmp_path: Path) -> None:
    repo, gens = await _history(tmp_path)
    await forget(repo, RetentionPolicy(last=1), now=T0 + timedelta(days=4))
    repo = await Repository.open(local(tmp_path), PASSPHRASE)
    await mark(repo, now=T0)

    slow = await Repository.open(local(tmp_path), PASSPHRASE)  # started before the sweep
    assert await slow.add(gens[0][0], page(0, words=200), "page") is False
    await sweep(await Repository.open(local(tmp_path), PASSPHRASE), timedelta(0), now=T0)

    with pytest.raises(PreconditionFailed):
        await slow.commit_snapshot({"x": gens[0][0]})
    with pytest.raises(RebaseConflict, match="pruned"):
        await slow.rebase()


async def test_unreferenced_leftovers_of_a_crashed_backup_are_reclaimed(tmp_path: Path) -> None:
    repo = await new_repo(local(tmp_path))
    await add_all(repo, [page(1)])
    await repo.commit_snapshot({"p": oid(page(1))})
    crashed = await Repository.open(local(tmp_path), PASSPHRASE)
    await add_all(crashed, [page(2)])
    await crashed.flush()  # pack uploaded, never indexed nor committed
    orphan = crashed.index.lookup(oid(page(2)))
    assert orphan is not None

    fresh = await Repository.open(local(tmp_path), PASSPHRASE)
    assert await mark(fresh, now=T0) == {orphan.pack}
    assert await sweep(fresh, timedelta(days=1), now=T0 + timedelta(days=2)) == {orphan.pack}
    assert (await verify(await Repository.open(local(tmp_path), PASSPHRASE), read_data=True)).ok
