"""Damage to a repository's metadata, as an administrator meets it through `syncd`: a lost or
rolled-back HEAD, both config copies lost, a second store, a read-only folder, a repository
written by an older syncd."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from backups.targets.base import Target
from backups.targets.local import LocalTarget
from tests.backup.cli_support import (
    REPO_ROOT,
    clean_env,
    local_target,
    run_main,
    s3_target,
    write_config,
)
from tests.backup.helpers import content, open_fresh_store, populate
from tests.support.seaweed import SeaweedServer

PASS = "mật khẩu dài dài"
Cli = Callable[..., tuple[int, str, str]]


async def _fill(state: Path, *, items: int, start: int = 0, sites: int = 2) -> dict[str, Any]:
    store = await open_fresh_store(f"sqlite+aiosqlite:///{state / 'syncd.db'}", state / "blobs")
    try:
        await populate(store, sites=sites, items=items, start=start)
        return await content(store)
    finally:
        await store.close()


async def _restored(url: str, blobs: Path) -> dict[str, Any]:
    store = await open_fresh_store(url, blobs)
    try:
        return await content(store)
    finally:
        await store.close()


class Setup:
    """A store, a configured target (a folder or a SeaweedFS bucket) and a way to reach its
    objects directly, to damage them."""

    def __init__(
        self, root: Path, target_toml: str, make_target: Callable[[], Target], extra: dict[str, str]
    ) -> None:
        self.root = root
        self.config = write_config(root / "syncd.toml", root / "state", target_toml)
        self.env = {"SYNCD_CONFIG": str(self.config), "SYNCD_TEST_PASSPHRASE": PASS, **extra}
        self.make_target = make_target
        self.restores = 0

    def on_target(self, action: Callable[[Target], Any]) -> Any:
        async def go() -> Any:
            target = self.make_target()
            try:
                return await action(target)
            finally:
                await target.close()

        return asyncio.run(go())

    def restore(self, cli: Cli, snapshot: str, *more: str) -> tuple[int, dict[str, Any], str]:
        self.restores += 1
        folder = self.root / f"restored-{self.restores}"
        url = f"sqlite+aiosqlite:///{folder / 'syncd.db'}"
        code, out, err = cli("restore", snapshot, "--store", url, *more)
        got = asyncio.run(_restored(url, folder / "blobs")) if code == 0 else {}
        return code, got, out + err


@pytest.fixture(params=["local", "s3"])
def setup(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Setup]:
    if request.param == "local":
        yield Setup(
            tmp_path, local_target(tmp_path / "nas"), lambda: LocalTarget(tmp_path / "nas"), {}
        )
        return
    server: SeaweedServer = request.getfixturevalue("seaweed")
    bucket = server.create_bucket()
    yield Setup(
        tmp_path,
        s3_target(server.endpoint_url, bucket),
        lambda: server.target(bucket, "syncd"),
        {"TEST_S3_KEY": server.access_key, "TEST_S3_SECRET": server.secret_key},
    )


def _cli(setup: Setup, capsys: Any, monkeypatch: pytest.MonkeyPatch) -> Cli:
    def cli(*args: str, **env: str) -> tuple[int, str, str]:
        return run_main(list(args), {**setup.env, **env}, setup.root, capsys, monkeypatch)

    return cli


def _two_snapshots(setup: Setup, cli: Cli) -> tuple[list[str], list[dict[str, Any]], str]:
    """Two backups of a growing store: snapshot ids, contents, and the recovery key."""
    first = asyncio.run(_fill(setup.root / "state", items=4))
    code, out, err = cli("backup", "init")
    assert code == 0, err
    key = out.splitlines()[-1].strip()
    code, out, err = cli("backup", "run")
    assert code == 0, err
    ids = [out.split()[1].rstrip(":")]
    second = asyncio.run(_fill(setup.root / "state", items=2, start=4))
    code, out, err = cli("backup", "run")
    assert code == 0, err
    ids.append(out.split()[1].rstrip(":"))
    return ids, [first, second], key


def test_lost_head_then_backup_and_prune_keep_every_snapshot(
    setup: Setup, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = _cli(setup, capsys, monkeypatch)
    ids, contents, _ = _two_snapshots(setup, cli)
    setup.on_target(lambda t: t.delete("HEAD"))
    code, out, _ = cli("backup", "verify")
    assert code == 1 and "head HEAD: HEAD is missing" in out
    code, out, err = cli("backup", "run")
    assert code == 0, err
    ids.append(out.split()[1].rstrip(":"))
    for _ in range(2):  # mark, then sweep what the mark found
        code, out, err = cli("backup", "prune", "--grace", "0s")
        assert code == 0 and "forgot 0 snapshots" in out, err
    code, out, _ = cli("backup", "list")
    assert [line.split()[0] for line in out.splitlines()] == ids[::-1]
    assert "detached" not in out
    assert cli("backup", "verify", "--read-data")[0] == 0
    for snapshot, want in zip(ids, [*contents, contents[1]], strict=True):
        code, got, log = setup.restore(cli, snapshot)
        assert code == 0 and got == want, log


def test_rolled_back_head_fails_verify_and_restore_takes_the_newest(
    setup: Setup, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = _cli(setup, capsys, monkeypatch)
    asyncio.run(_fill(setup.root / "state", items=4))
    assert cli("backup", "init")[0] == 0
    assert cli("backup", "run")[0] == 0
    old_head = setup.on_target(lambda t: t.get("HEAD"))
    newer = asyncio.run(_fill(setup.root / "state", items=2, start=4))
    code, out, _ = cli("backup", "run")
    newest = out.split()[1].rstrip(":")
    setup.on_target(lambda t: t.put("HEAD", old_head))

    code, out, err = cli("backup", "verify")
    assert code == 1 and "problems found" in err
    assert "head HEAD:" in out and "rolled back or stale" in out
    code, got, log = setup.restore(cli, "latest")
    assert code == 0 and f"restored snapshot {newest}" in log and got == newer


def test_both_configs_lost_init_refuses_and_repair_brings_it_back(
    setup: Setup, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = _cli(setup, capsys, monkeypatch)
    _, contents, key = _two_snapshots(setup, cli)

    async def drop_configs(target: Target) -> None:
        await target.delete("config")
        await target.delete("config-copy")

    setup.on_target(drop_configs)
    code, _, err = cli("backup", "init")
    assert code == 1 and len(err.strip().splitlines()) == 1 and "backup repair" in err
    key_file = setup.root / "recovery.key"
    key_file.write_text(key + "\n")
    code, out, err = cli("backup", "repair", "--recovery-key-file", str(key_file))
    assert code == 0, err
    assert "config and config-copy rebuilt from the recovery key" in out
    code, out, err = cli("backup", "verify", "--read-data")
    assert code == 0, out + err
    assert cli("backup", "key", "export")[1].strip() == key
    code, got, log = setup.restore(cli, "latest")
    assert code == 0 and got == contents[1], log
    assert cli("backup", "run")[0] == 0


def test_a_backup_from_another_store_is_refused_unless_asked(
    tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    nas = local_target(tmp_path / "nas")
    for name in ("one", "two"):
        (tmp_path / name).mkdir()
        asyncio.run(_fill(tmp_path / name / "state", items=2, sites=1))
    first = Setup(tmp_path / "one", nas, lambda: LocalTarget(tmp_path / "nas"), {})
    other = Setup(tmp_path / "two", nas, lambda: LocalTarget(tmp_path / "nas"), {})
    one, two = _cli(first, capsys, monkeypatch), _cli(other, capsys, monkeypatch)
    assert one("backup", "init")[0] == 0
    assert one("backup", "run")[0] == 0
    code, _, err = two("backup", "run")
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert "snapshots of another store" in err and "--allow-other-store" in err
    assert two("backup", "run", "--allow-other-store")[0] == 0
    assert one("backup", "run")[0] == 0  # the first store still has its snapshots there


def test_a_restored_store_goes_on_backing_up_into_its_repository(
    tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    setup = Setup(
        tmp_path, local_target(tmp_path / "nas"), lambda: LocalTarget(tmp_path / "nas"), {}
    )
    cli = _cli(setup, capsys, monkeypatch)
    asyncio.run(_fill(tmp_path / "state", items=2, sites=1))
    assert cli("backup", "init")[0] == 0
    assert cli("backup", "run")[0] == 0
    shutil.rmtree(tmp_path / "state")  # the machine is lost; a new one restores
    url = f"sqlite+aiosqlite:///{tmp_path / 'state' / 'syncd.db'}"
    assert cli("restore", "latest", "--store", url)[0] == 0
    code, _, err = cli("backup", "run")
    assert code == 0, err


def _as_nobody() -> list[str]:
    """Run as an unprivileged user when root, for whom write permissions mean nothing."""
    if os.geteuid() != 0:
        return []
    return ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"]


def test_verify_and_restore_read_a_read_only_folder(
    capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Outside pytest's private tmp folder, which the unprivileged user cannot enter.
    root = Path(tempfile.mkdtemp(prefix="syncd-ro-"))
    try:
        root.chmod(0o755)
        setup = Setup(root, local_target(root / "nas"), lambda: LocalTarget(root / "nas"), {})
        cli = _cli(setup, capsys, monkeypatch)
        want = asyncio.run(_fill(root / "state", items=2, sites=1))
        key = cli("backup", "init")[1].splitlines()[-1].strip()
        assert cli("backup", "run")[0] == 0
        shutil.rmtree(root / "nas" / ".target")  # as copied from elsewhere: no bookkeeping
        # readable by everyone, writable by no one
        subprocess.run(["chmod", "-R", "a+rX,a-w", str(root / "nas")], check=True)
        work = root / "work"
        work.mkdir(mode=0o777)
        work.chmod(0o777)
        env = clean_env(SYNCD_RECOVERY_KEY=key, PYTHONPATH=str(REPO_ROOT), HOME=str(work))
        syncd = [*_as_nobody(), sys.executable, "-m", "syncd"]
        probe = subprocess.run(
            [*_as_nobody(), "touch", str(root / "nas" / "probe")], capture_output=True
        )
        assert probe.returncode != 0  # the folder really is read-only to the command
        url = f"sqlite+aiosqlite:///{work / 'r.db'}"
        where = ["--store", url, "--blobs", str(work / "blobs"), "--local", str(root / "nas")]
        restored = subprocess.run(
            [*syncd, "restore", "latest", *where],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert restored.returncode == 0, restored.stderr
        assert asyncio.run(_restored(url, work / "blobs")) == want

        config = write_config(work / "syncd.toml", work / "state", local_target(root / "nas"))
        checked = subprocess.run(
            [*syncd, "backup", "verify", "--read-data"],
            cwd=work,
            env={**env, "SYNCD_CONFIG": str(config), "SYNCD_TEST_PASSPHRASE": PASS},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert "no problems found" in checked.stdout
    finally:
        subprocess.run(["chmod", "-R", "u+w", str(root)], check=True)
        shutil.rmtree(root)


def test_a_repository_written_by_syncd_before_generations_opens_and_restores(
    tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """tests/backup/data/repo-from-9b4a181 was written by main at 9b4a181 (two backups of
    `populate(sites=1, items=4)` then `items=2, start=4`; passphrase "made by main")."""
    repo = tmp_path / "nas"
    shutil.copytree(Path(__file__).with_name("data") / "repo-from-9b4a181", repo)
    setup = Setup(tmp_path, local_target(repo), lambda: LocalTarget(repo), {})
    setup.env["SYNCD_TEST_PASSPHRASE"] = "made by main"
    cli = _cli(setup, capsys, monkeypatch)
    want = asyncio.run(_fill(tmp_path / "expected", items=4, sites=1))
    want_later = asyncio.run(_fill(tmp_path / "expected", items=2, start=4, sites=1))
    code, out, _ = cli("backup", "list")
    assert code == 0 and len(out.splitlines()) == 2 and "detached" not in out
    older = out.splitlines()[1].split()[0]
    code, got, log = setup.restore(cli, "latest")
    assert code == 0 and got == want_later, log
    code, got, log = setup.restore(cli, older)
    assert code == 0 and got == want, log
    # the one key file of that format gets its copy from repair; then verify is clean
    code, out, _ = cli("backup", "verify")
    assert code == 1 and "keys-copy/" in out
    code, out, err = cli("backup", "repair")
    assert code == 0 and "keys-copy/" in out, err
    assert cli("backup", "verify", "--read-data")[0] == 0


def test_lost_latest_manifest_and_pack_restore_reaches_the_fallback(
    tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    nas, copy = tmp_path / "nas", tmp_path / "copy"
    targets = local_target(nas) + 'passphrase = { env = "SYNCD_TEST_PASSPHRASE" }\n\n'
    targets += "[[backup_targets]]\n" + local_target(copy).replace('"nas"', '"copy"')
    setup = Setup(tmp_path, targets, lambda: LocalTarget(nas), {})
    cli = _cli(setup, capsys, monkeypatch)
    first = asyncio.run(_fill(tmp_path / "state", items=4))
    for key in ("nas", "copy"):
        assert cli("backup", "init", "--target", key)[0] == 0
        assert cli("backup", "run", "--target", key)[0] == 0
    asyncio.run(_fill(tmp_path / "state", items=2, start=4))
    assert cli("backup", "run", "--target", "nas")[0] == 0
    names = sorted((nas / "snapshots").iterdir(), key=lambda p: p.stat().st_mtime_ns)
    for prefix in ("snapshots", "snapshots-copy"):
        (nas / prefix / names[-1].name).unlink()  # the latest manifest, both copies
    packs = sorted((nas / "data").glob("*/*"), key=lambda p: p.stat().st_mtime_ns)
    packs[1].unlink()  # blobs of the first backup, which the copy holds too
    code, got, log = setup.restore(cli, "latest", "--fallback", "copy")
    assert code == 0, log
    assert "objects came from the fallback target" in log and got == first
