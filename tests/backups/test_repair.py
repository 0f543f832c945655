"""Config and key files: damage told apart from a wrong key; init never writes over a
repository; repair rebuilds config, key files, manifest copies and HEAD."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backups.config import RepoConfig
from backups.crypto import export_recovery_key, new_master_key
from backups.errors import NoRepository, RepositoryCorrupt, RepositoryExists, WrongKey
from backups.repair import repair
from backups.repository import Repository
from backups.targets.base import Target
from backups.verify import verify
from tests.backups.helpers import FAST_SCRYPT, PASSPHRASE, add_all, local, new_repo, oid, page
from tests.support.seaweed import SeaweedServer


async def _repo(root: Path, snapshots: int = 2) -> tuple[Repository, str]:
    repo = await new_repo(local(root))
    for n in range(snapshots):
        await add_all(repo, [page(n)])
        await repo.commit_snapshot({"p": oid(page(n))})
    return repo, repo.export_recovery_key()


def _flip_check(path: Path, at: int = 10) -> None:
    """One bit of the sealed check value: the JSON still parses."""
    doc = json.loads(path.read_bytes())
    check = bytearray(doc["check"].encode())
    check[at] ^= 0x01
    doc["check"] = check.decode()
    path.write_text(json.dumps(doc, sort_keys=True))


def _key_file(root: Path) -> Path:
    [path] = (root / "keys").iterdir()
    return path


async def test_one_damaged_config_reads_the_copy_and_verify_says_so(tmp_path: Path) -> None:
    _, key = await _repo(tmp_path)
    _flip_check(tmp_path / "config")
    for opened in (
        await Repository.open(local(tmp_path), PASSPHRASE),
        await Repository.open(local(tmp_path), recovery_key=key),
    ):
        report = await verify(opened)
        assert [(d.kind, d.name) for d in report.problems] == [("config", "config")]
        assert "digest" in report.problems[0].reason


async def test_both_configs_damaged_is_not_a_wrong_key(tmp_path: Path) -> None:
    _, key = await _repo(tmp_path)
    wrong = export_recovery_key(new_master_key())
    with pytest.raises(WrongKey):  # intact configs, another key
        await Repository.open(local(tmp_path), recovery_key=wrong)
    _flip_check(tmp_path / "config")
    _flip_check(tmp_path / "config-copy")
    with pytest.raises(RepositoryCorrupt, match=r"damaged.*backup repair"):
        await Repository.open(local(tmp_path), recovery_key=key)


async def test_older_configs_without_a_digest_are_told_apart_by_their_copies(
    tmp_path: Path,
) -> None:
    repo, key = await _repo(tmp_path)
    legacy = json.loads((tmp_path / "config").read_bytes())
    del legacy["digest"]
    for path in ("config", "config-copy"):
        (tmp_path / path).write_text(json.dumps(legacy, sort_keys=True))
    assert RepoConfig.decode_checked((tmp_path / "config").read_bytes(), "config")[1] is False
    wrong = export_recovery_key(new_master_key())
    with pytest.raises(WrongKey):  # both copies agree: the key is wrong
        await Repository.open(local(tmp_path), recovery_key=wrong)
    _flip_check(tmp_path / "config")
    assert (await Repository.open(local(tmp_path), recovery_key=key)).id == repo.id
    _flip_check(tmp_path / "config-copy", at=20)
    with pytest.raises(RepositoryCorrupt, match="damaged"):
        await Repository.open(local(tmp_path), recovery_key=key)


async def test_damaged_key_file_is_not_a_wrong_passphrase(tmp_path: Path) -> None:
    await _repo(tmp_path)
    with pytest.raises(WrongKey, match="passphrase"):
        await Repository.open(local(tmp_path), "not the passphrase")
    key_file = _key_file(tmp_path)
    body = json.loads(key_file.read_bytes())
    body["wrapped"] = body["wrapped"][:-6] + "AAAA=="
    key_file.write_text(json.dumps(body, sort_keys=True))
    opened = await Repository.open(local(tmp_path), PASSPHRASE)  # the copy opens
    report = await verify(opened)
    assert [(d.kind, d.lost) for d in report.problems] == [("key", False)]
    (tmp_path / "keys-copy" / key_file.name).unlink()
    with pytest.raises(RepositoryCorrupt, match=r"no key file can be read.*recovery key"):
        await Repository.open(local(tmp_path), PASSPHRASE)


@pytest.mark.parametrize(
    "keep", ["config", "config-copy", "keys", "HEAD", "snapshots", "index", "data"]
)
async def test_init_refuses_over_any_repository_object(tmp_path: Path, keep: str) -> None:
    await _repo(tmp_path, snapshots=1)
    _remove_all_but(tmp_path, keep)
    with pytest.raises(RepositoryExists, match="backup repair"):
        await Repository.init(local(tmp_path), PASSPHRASE, scrypt=FAST_SCRYPT)


async def test_init_refuses_on_s3_too(seaweed: SeaweedServer) -> None:
    target = seaweed.target(seaweed.create_bucket(), "repo")
    try:
        await new_repo(target)
        await target.delete("config")
        await target.delete("config-copy")
        with pytest.raises(RepositoryExists, match="keys/"):
            await Repository.init(target, PASSPHRASE, scrypt=FAST_SCRYPT)
    finally:
        await target.close()


def _remove_all_but(root: Path, keep: str) -> None:
    for path in root.iterdir():
        if path.name in (keep, ".target"):
            continue
        if path.is_file():
            path.unlink()
            continue
        for child in sorted(path.rglob("*"), reverse=True):
            (child.unlink if child.is_file() else child.rmdir)()
        path.rmdir()


def _names(root: Path) -> list[str]:
    return sorted(p.name for p in root.rglob("*"))


async def _everything_reads(target: Target) -> None:
    repo = await Repository.open(target, PASSPHRASE)
    assert len(await repo.list_snapshots()) == 2
    assert await repo.read(oid(page(1))) == page(1)
    report = await verify(repo, read_data=True)
    assert report.ok, report.problems


async def test_repair_rebuilds_both_configs_from_the_recovery_key(tmp_path: Path) -> None:
    repo, key = await _repo(tmp_path)
    (tmp_path / "config").unlink()
    (tmp_path / "config-copy").unlink()
    reports = await repair(local(tmp_path), passphrase=PASSPHRASE, recovery_key=key)
    done = [line for r in reports for line in r.result.done]
    assert any("rebuilt from the recovery key" in line for line in done)
    assert all(not r.result.left for r in reports)
    assert (await Repository.open(local(tmp_path), PASSPHRASE)).id == repo.id  # from HEAD
    await _everything_reads(local(tmp_path))


async def test_repair_rewrites_key_files_and_copies(tmp_path: Path) -> None:
    _, key = await _repo(tmp_path)
    name = _key_file(tmp_path).name
    (tmp_path / "keys" / name).unlink()
    (tmp_path / "keys-copy" / name).unlink()
    [snapshot] = list((tmp_path / "snapshots").iterdir())[:1]
    snapshot.unlink()
    (tmp_path / "config-copy").unlink()
    reports = await repair(local(tmp_path), passphrase=PASSPHRASE, recovery_key=key)
    by_step = {r.step: r.result for r in reports}
    assert by_step["config"].done == ["config-copy rewritten from config (missing)"]
    assert len(by_step["keys"].done) == 1 and "both copies" in by_step["keys"].done[0]
    assert by_step["manifest_copies"].done == [
        f"snapshots/{snapshot.name} rewritten from snapshots-copy/{snapshot.name} (missing)"
    ]
    await _everything_reads(local(tmp_path))


async def test_repair_points_head_at_the_newest_and_refuses_a_wrong_key(tmp_path: Path) -> None:
    repo, _ = await _repo(tmp_path)
    newest = repo.head
    (tmp_path / "HEAD").unlink()
    before = _names(tmp_path)
    with pytest.raises(WrongKey):
        await repair(local(tmp_path), recovery_key=export_recovery_key(new_master_key()))
    assert _names(tmp_path) == before
    reports = await repair(local(tmp_path), passphrase=PASSPHRASE)
    assert [r.result.done for r in reports if r.step == "head"] == [
        [f"HEAD rewritten to {newest} (HEAD is missing; the newest manifest is {newest})"]
    ]
    await _everything_reads(local(tmp_path))


async def test_repair_finds_nothing_to_repair_where_no_repository_is(tmp_path: Path) -> None:
    with pytest.raises(NoRepository, match="nothing to repair"):
        await repair(local(tmp_path), recovery_key=export_recovery_key(new_master_key()))
    assert not (tmp_path / "config").exists()
