"""HEAD is a hint: the newest snapshot is found from the manifests, whatever HEAD says."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from backups.discovery import ManifestScan, effective_generations, newest
from backups.manifest import Manifest
from backups.prune import forget, mark
from backups.repository import Repository
from backups.retention import RetentionPolicy
from backups.targets.base import Target
from backups.verify import verify
from tests.backups.helpers import PASSPHRASE, add_all, local, new_repo, oid, page
from tests.support.seaweed import SeaweedServer

T0 = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture(params=["local", "s3"])
async def target(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Target]:
    if request.param == "local":
        made: Target = local(tmp_path / "repo")
    else:
        server: SeaweedServer = request.getfixturevalue("seaweed")
        made = server.target(server.create_bucket(), "repo")
    yield made
    await made.close()


def _m(parent: str | None, generation: int | None = None, minutes: int = 0) -> Manifest:
    return Manifest(
        "snapshot", "id", T0 + timedelta(minutes=minutes), parent, generation=generation
    )


def test_old_manifests_take_their_generation_from_the_chain() -> None:
    manifests = {"a": _m(None), "b": _m("a"), "c": _m("b"), "d": _m("c", generation=4)}
    manifests["e"] = _m("d", generation=5)
    assert effective_generations(manifests) == {"a": 1, "b": 2, "c": 3, "d": 4, "e": 5}
    # beyond a lost manifest, an old one counts from the break
    assert effective_generations({"c": _m("b"), "d": _m("c")}) == {"c": 1, "d": 2}


def test_newest_is_the_highest_generation_and_head_breaks_ties() -> None:
    manifests = {"a": _m(None, 1), "b": _m("a", 2), "c": _m("b", 3, minutes=1)}
    manifests["c2"] = _m("b", 3)
    scan = ManifestScan(manifests, generations=effective_generations(manifests))
    assert newest(scan, "a") == "c"  # HEAD rolled back: the newer manifests win
    assert newest(scan, "c2") == "c2"  # equal generations: HEAD's choice
    assert newest(scan, None) == "c"  # then the later one
    # a generation that does not follow its parent's is not believed
    manifests["z"] = _m("c", 2)
    scan = ManifestScan(manifests, generations=effective_generations(manifests))
    assert newest(scan, None) == "c"


async def _three(target: Target) -> tuple[Repository, list[str], list[bytes]]:
    """Three snapshots; the HEAD object after each; returns manifest names oldest first."""
    repo = await new_repo(target)
    heads: list[bytes] = []
    for n in range(3):
        await add_all(repo, [page(n)])
        await repo.commit_snapshot({"p": oid(page(n))}, time=T0 + timedelta(days=n))
        heads.append(await target.get("HEAD"))
    names = [s.manifest for s in await repo.list_snapshots()][::-1]
    return repo, names, heads


async def _head_gone_then_backup_and_prune(target: Target) -> None:
    _, names, _ = await _three(target)
    await target.delete("HEAD")
    repo = await Repository.open(target, PASSPHRASE)
    assert repo.head == names[-1]
    report = await verify(repo)
    assert [(d.kind, d.name) for d in report.problems] == [("head", "HEAD")]
    assert "HEAD is missing" in report.problems[0].reason
    await add_all(repo, [page(3)])
    await repo.commit_snapshot({"p": oid(page(3))}, time=T0 + timedelta(days=3))
    repo = await Repository.open(target, PASSPHRASE)
    snaps = await repo.list_snapshots()
    assert snaps[0].parent == names[-1]  # the chain went on, it did not fork
    assert [s.manifest for s in snaps[1:]] == names[::-1]
    assert [s.generation for s in snaps] == [4, 3, 2, 1]
    await forget(repo, RetentionPolicy(last=10), now=T0 + timedelta(days=4))
    await mark(repo)
    assert (await verify(repo, read_data=True)).ok
    for n in range(4):
        assert await repo.read(oid(page(n))) == page(n)


async def test_lost_head_is_reported_and_the_chain_goes_on(target: Target) -> None:
    await _head_gone_then_backup_and_prune(target)


async def _rolled_back_head(target: Target) -> None:
    _, names, heads = await _three(target)
    await target.put("HEAD", heads[0])
    repo = await Repository.open(target, PASSPHRASE)
    assert repo.head == names[-1]
    report = await verify(repo)
    [problem] = report.problems
    assert problem.kind == "head" and names[0] in problem.reason and "rolled back" in problem.reason
    await add_all(repo, [page(3)])
    await repo.commit_snapshot({"p": oid(page(3))})
    repo = await Repository.open(target, PASSPHRASE)
    assert (await repo.list_snapshots())[0].parent == names[-1]
    assert (await verify(repo)).ok


async def test_rolled_back_head_is_reported_and_ignored(target: Target) -> None:
    await _rolled_back_head(target)


async def test_lost_latest_manifest_leaves_the_older_ones_and_the_chain_continues(
    tmp_path: Path,
) -> None:
    target = local(tmp_path)
    _, names, _ = await _three(target)
    for prefix in ("snapshots", "snapshots-copy"):
        (tmp_path / prefix / names[-1]).unlink()
    repo = await Repository.open(target, PASSPHRASE)
    assert [s.manifest for s in await repo.list_snapshots()] == names[:2][::-1]
    assert await repo.read(oid(page(1))) == page(1)
    report = await verify(repo)
    assert {d.kind for d in report.problems} == {"head"} and not report.ok
    await add_all(repo, [page(3)])
    await repo.commit_snapshot({"p": oid(page(3))})
    repo = await Repository.open(target, PASSPHRASE)
    snaps = await repo.list_snapshots()
    assert snaps[0].parent == names[1] and len(snaps) == 3


async def test_prune_keeps_what_detached_snapshots_hold_until_forgotten_by_id(
    tmp_path: Path,
) -> None:
    target = local(tmp_path)
    repo = await new_repo(target)
    for n in range(3):
        # each snapshot holds only its own page, so the oldest page is only the oldest's
        await add_all(repo, [page(n, words=3000)])
        await repo.commit_snapshot({"p": oid(page(n, words=3000))}, time=T0 + timedelta(days=n))
    names = [s.manifest for s in await repo.list_snapshots()][::-1]
    for prefix in ("snapshots", "snapshots-copy"):
        (tmp_path / prefix / names[1]).unlink()
    repo = await Repository.open(target, PASSPHRASE)
    oldest = (await repo.list_snapshots())[-1]
    assert oldest.detached and oldest.manifest == names[0]
    oldest_pack = repo.index.lookup(oid(page(0, words=3000)))
    assert oldest_pack is not None
    # the policy keeps only the newest; the detached snapshot is not the policy's to forget
    assert (await forget(repo, RetentionPolicy(last=1), now=T0 + timedelta(days=4))).forgotten == []
    assert oldest_pack.pack not in await mark(repo)
    result = await forget(repo, RetentionPolicy(last=5), drop=frozenset({oldest.id}))
    assert result.forgotten == [oldest.id]
    repo = await Repository.open(target, PASSPHRASE)
    assert oldest.id not in {s.id for s in await repo.list_snapshots()}
    assert oldest_pack.pack in await mark(repo)
