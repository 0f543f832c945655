from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from backups.errors import (
    NoRepository,
    ObjectMissing,
    PreconditionFailed,
    RepositoryExists,
    WrongKey,
)
from backups.repository import Repository
from backups.targets.base import Target
from tests.backups.helpers import PASSPHRASE, add_all, jpeg, local, new_repo, oid, page
from tests.support.seaweed import SeaweedServer


async def _round_trip(target: Target) -> None:
    repo = await new_repo(target)
    pages = [page(i) for i in range(40)]
    images = [jpeg(i, 90_000) for i in range(3)]  # bigger than a pack: one pack each
    ids = await add_all(repo, pages) + await add_all(repo, images, "blob")
    big = jpeg(99, 300_000)
    await repo.add(oid(big), big, "blob")
    refs = await repo.add_refs([*ids, oid(big)])
    sid = await repo.commit_snapshot({"pages": refs, "db/chunk-0": ids[0]}, ["nightly"], host="h1")

    again = await Repository.open(target, PASSPHRASE)
    [snap] = await again.list_snapshots()
    assert (snap.id, snap.host, snap.tags, snap.parent) == (sid, "h1", ("nightly",), None)
    assert snap.tree == {"pages": refs, "db/chunk-0": ids[0]}
    listed = await again.read(refs)
    assert {listed[i : i + 32].hex() for i in range(0, len(listed), 32)} == {*ids, oid(big)}
    for data in [*pages, *images, big]:
        assert await again.read(oid(data), verify_pack=True) == data
    got = {i: d async for i, d in again.read_many([*ids, "00" * 32])}
    assert isinstance(got.pop("00" * 32), ObjectMissing)
    assert got == dict(zip(ids, pages + images, strict=True))


async def test_round_trip_local(tmp_path: Path) -> None:
    await _round_trip(local(tmp_path))


async def test_round_trip_s3(seaweed: SeaweedServer, s3_bucket: str) -> None:
    target = seaweed.target(s3_bucket)
    try:
        await _round_trip(target)
    finally:
        await target.close()


async def test_dedup_answers_from_index_and_adds_nothing(tmp_path: Path) -> None:
    target = local(tmp_path)
    repo = await new_repo(target)
    ids = await add_all(repo, [page(i) for i in range(20)])
    assert await repo.add(ids[0], page(0), "page") is False  # pending in the open pack
    await repo.commit_snapshot({"a": ids[0]})
    packs_before = sorted(p.name for p in (tmp_path / "data").rglob("*"))

    repo2 = await Repository.open(target, PASSPHRASE)
    assert all(repo2.has(i) for i in ids) and not repo2.has(oid(b"new"))
    assert [await repo2.add(i, page(n), "page") for n, i in enumerate(ids)] == [False] * 20
    await repo2.commit_snapshot({"a": ids[0]})
    assert sorted(p.name for p in (tmp_path / "data").rglob("*")) == packs_before
    assert len(await repo2.list_snapshots()) == 2


async def test_dictionary_groups_shrink_storage_and_survive_reopen(tmp_path: Path) -> None:
    target = local(tmp_path)
    repo = await new_repo(target)
    pages = [page(i, words=80) for i in range(300)]
    for data in pages:
        await repo.add(oid(data), data, "page", dict_group="site-a")
    await repo.commit_snapshot({})
    with_dict = repo.stats["bytes_stored"]

    plain = await new_repo(local(tmp_path / "plain"))
    await add_all(plain, pages)
    await plain.commit_snapshot({})
    assert with_dict < plain.stats["bytes_stored"]

    repo2 = await Repository.open(target, PASSPHRASE)
    assert await repo2.read(oid(pages[7])) == pages[7]
    more = page(5000, words=80)
    await repo2.add(oid(more), more, "page", dict_group="site-a")  # reuses stored dictionary
    await repo2.commit_snapshot({})
    assert await (await Repository.open(target, PASSPHRASE)).read(oid(more)) == more


async def test_keys_passphrase_and_recovery(tmp_path: Path) -> None:
    target = local(tmp_path)
    repo = await new_repo(target)
    await add_all(repo, [page(1)])
    await repo.commit_snapshot({"p": oid(page(1))})
    recovery = repo.export_recovery_key()

    with pytest.raises(WrongKey, match="passphrase"):
        await Repository.open(target, "not it")
    by_recovery = await Repository.open(target, recovery_key=recovery)
    assert await by_recovery.read(oid(page(1))) == page(1)

    other = await new_repo(local(tmp_path / "other"))
    with pytest.raises(WrongKey, match="recovery key"):
        await Repository.open(target, recovery_key=other.export_recovery_key())
    with pytest.raises(RepositoryExists):
        await new_repo(target)
    with pytest.raises(NoRepository):
        await Repository.open(local(tmp_path / "empty"), PASSPHRASE)


async def test_swapped_objects_do_not_open(tmp_path: Path) -> None:
    """Two records swapped inside a pack (offsets kept) fail: the id is in the AD."""
    target = local(tmp_path)
    repo = await new_repo(target)
    a, b = b"A" * 500, b"B" * 500  # same sealed length
    await add_all(repo, [a, b])
    await repo.commit_snapshot({})
    la, lb = repo.index.lookup(oid(a)), repo.index.lookup(oid(b))
    assert la is not None and lb is not None and la.length == lb.length
    path = next((tmp_path / "data").rglob(la.pack))
    raw = bytearray(path.read_bytes())
    ra, rb = raw[la.offset : la.offset + la.length], raw[lb.offset : lb.offset + lb.length]
    raw[la.offset : la.offset + la.length], raw[lb.offset : lb.offset + lb.length] = rb, ra
    path.write_bytes(bytes(raw))
    reopened = await Repository.open(target, PASSPHRASE)
    results = {i: r async for i, r in reopened.read_many([oid(a), oid(b)])}
    assert all("authentication failed" in str(r) for r in results.values())


async def test_two_writers_exactly_one_wins_and_loser_retries(tmp_path: Path) -> None:
    target = local(tmp_path)
    base = await new_repo(target)
    await add_all(base, [page(0)])
    await base.commit_snapshot({"p": oid(page(0))})

    w1 = await Repository.open(target, PASSPHRASE)
    w2 = await Repository.open(target, PASSPHRASE)
    await add_all(w1, [page(1)])
    await add_all(w2, [page(2)])
    results = await asyncio.gather(
        w1.commit_snapshot({"p": oid(page(1))}, ["w1"]),
        w2.commit_snapshot({"p": oid(page(2))}, ["w2"]),
        return_exceptions=True,
    )
    failed = [r for r in results if isinstance(r, BaseException)]
    assert len(failed) == 1 and isinstance(failed[0], PreconditionFailed)
    loser = w2 if isinstance(results[1], BaseException) else w1
    await loser.rebase()
    await loser.commit_snapshot({"p": oid(page(2 if loser is w2 else 1))}, ["retry"])

    final = await Repository.open(target, PASSPHRASE)
    snaps = await final.list_snapshots()
    assert snaps[0].tags == ("retry",) and len(snaps) == 3
    assert snaps[0].parent == snaps[1].manifest and snaps[1].parent == snaps[2].manifest
    for n in range(3):
        assert await final.read(oid(page(n))) == page(n)


async def test_commit_refuses_unknown_tree_objects(tmp_path: Path) -> None:
    repo = await new_repo(local(tmp_path))
    with pytest.raises(ValueError, match="not in the repository"):
        await repo.commit_snapshot({"x": "ab" * 32})
    with pytest.raises(ValueError, match="sha256"):
        await repo.add("ab" * 32, b"data", "page")
