"""Dictionaries apart from the data packs (and the older layout that kept them in one), and
the pure comparison of indexed packs with a target's listing."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from backups.dicts import read_dict, write_dict
from backups.errors import BackupError
from backups.packs import DICT_TYPE, FLAG_DICT
from backups.reindex import PackCheck, compare_packs
from backups.repository import Repository
from backups.verify import verify
from tests.backups.helpers import PASSPHRASE, local, new_repo, oid, page


def test_compare_packs_names_the_gone_and_the_resized() -> None:
    indexed = {"a": 10, "b": 20, "c": 30}
    present = {"b": 20, "c": 29, "d": 5}  # d: not indexed, not the backup's business
    assert compare_packs(indexed, present) == PackCheck(frozenset({"a"}), frozenset({"c"}))
    assert compare_packs(indexed, indexed) == PackCheck(frozenset(), frozenset())


async def _grouped(root: Path) -> tuple[Repository, dict[str, bytes]]:
    """A repository whose pages were compressed with a trained dictionary."""
    repo = await new_repo(local(root))
    pages = {oid(p): p for p in (page(i) for i in range(40))}
    for object_id, data in pages.items():
        await repo.add(object_id, data, "page", "site:a")
    await repo.commit_snapshot({"all": await repo.add_refs(pages)})
    return repo, pages


def _dict_ids(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "dicts").iterdir())


async def _unreadable(repo: Repository, ids: list[str]) -> set[str]:
    return {i async for i, res in repo.read_many(ids) if isinstance(res, BackupError)}


async def test_a_dictionary_lives_twice_outside_the_packs(tmp_path: Path) -> None:
    repo, pages = await _grouped(tmp_path)
    [dict_id] = _dict_ids(tmp_path)
    assert (tmp_path / "dicts-copy" / dict_id).is_file()
    assert not [o for o, loc in repo.index.items() if loc.flags & FLAG_DICT]
    # One copy lost, the other damaged in turn: the pages still read; verify names the copy.
    (tmp_path / "dicts" / dict_id).unlink()
    fresh = await Repository.open(local(tmp_path), PASSPHRASE)
    assert await _unreadable(fresh, list(pages)) == set()
    [problem] = (await verify(fresh)).problems
    assert (problem.kind, problem.name, problem.lost) == ("dict", dict_id, False)
    raw = bytearray((tmp_path / "dicts-copy" / dict_id).read_bytes())
    raw[len(raw) // 2] ^= 1
    (tmp_path / "dicts-copy" / dict_id).write_bytes(bytes(raw))
    fresh = await Repository.open(local(tmp_path), PASSPHRASE)
    assert await _unreadable(fresh, list(pages)) == set(pages)
    [problem] = (await verify(fresh)).problems
    assert (problem.kind, problem.name, problem.lost) == ("dict", dict_id, True)


async def test_a_dictionary_kept_in_a_data_pack_still_reads(tmp_path: Path) -> None:
    """The layout of repositories written before dictionaries were stored apart."""
    repo, pages = await _grouped(tmp_path)
    [dict_id] = _dict_ids(tmp_path)
    data, _ = await read_dict(repo.target, repo.key, dict_id)
    await repo.add(dict_id, data, DICT_TYPE)
    await repo.commit_snapshot({"all": await repo.add_refs(pages)})
    for prefix in ("dicts", "dicts-copy"):
        (tmp_path / prefix / dict_id).unlink()
    fresh = await Repository.open(local(tmp_path), PASSPHRASE)
    assert await _unreadable(fresh, list(pages)) == set()
    assert (await verify(fresh, read_data=True)).ok


async def test_a_dictionary_written_again_over_its_locked_copies_is_kept(tmp_path: Path) -> None:
    """A session that crashed after writing (and locking) a dictionary: the next one trains
    the same dictionary and writes it again."""
    repo, _ = await _grouped(tmp_path)
    [dict_id] = _dict_ids(tmp_path)
    data, _ = await read_dict(repo.target, repo.key, dict_id)
    for _ in range(2):
        await write_dict(repo.target, repo.key, dict_id, data, timedelta(days=1))
    assert (await read_dict(repo.target, repo.key, dict_id))[0] == data
