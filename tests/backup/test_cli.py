"""The backup commands as an administrator runs them. The new-machine restore runs in its own
processes; the error cases run `syncd`'s entry point in-process (same code, no start-up cost)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from syncd.store.store import Store
from tests.backup.cli_support import (
    clean_env,
    local_target,
    run_main,
    s3_target,
    syncd,
    write_config,
)
from tests.backup.helpers import content, open_fresh_store, populate
from tests.support.seaweed import SeaweedServer

PASS = "mật khẩu dài dài"


async def _state_with_content(root: Path) -> Store:
    state = root / "state"
    store = await open_fresh_store(f"sqlite+aiosqlite:///{state / 'syncd.db'}", state / "blobs")
    await populate(store, sites=2, items=6)
    return store


async def _contents(url: str, blobs: Path) -> dict[str, Any]:
    store = await open_fresh_store(url, blobs)
    try:
        return await content(store)
    finally:
        await store.close()


async def test_fresh_machine_restores_from_the_bucket_and_the_key_alone(
    tmp_path: Path, seaweed: SeaweedServer, s3_bucket: str
) -> None:
    original = await _state_with_content(tmp_path)
    want = await content(original)
    await original.close()
    target = s3_target(seaweed.endpoint_url, s3_bucket)
    config = write_config(tmp_path / "syncd.toml", tmp_path / "state", target)
    env = clean_env(
        SYNCD_CONFIG=str(config),
        SYNCD_TEST_PASSPHRASE=PASS,
        TEST_S3_KEY=seaweed.access_key,
        TEST_S3_SECRET=seaweed.secret_key,
    )
    init = syncd("backup", "init", cwd=tmp_path, env=env)
    assert init.returncode == 0, init.stderr
    key = init.stdout.splitlines()[-1].strip()
    run = syncd("backup", "run", cwd=tmp_path, env=env)
    assert run.returncode == 0, run.stderr
    snapshot = run.stdout.split()[1].rstrip(":")

    machine = tmp_path / "new-machine"
    machine.mkdir()
    bare = clean_env(
        AWS_ACCESS_KEY_ID=seaweed.access_key,
        AWS_SECRET_ACCESS_KEY=seaweed.secret_key,
        SYNCD_RECOVERY_KEY=key,
    )
    url = f"sqlite+aiosqlite:///{machine / 'syncd.db'}"
    restored = syncd(
        *("restore", "latest", "--store", url, "--s3-endpoint", seaweed.endpoint_url),
        *("--bucket", s3_bucket, "--prefix", "syncd"),
        cwd=machine,
        env=bare,
    )
    assert restored.returncode == 0, restored.stderr
    assert f"restored snapshot {snapshot}" in restored.stdout
    assert await _contents(url, machine / "blobs") == want


def _local_setup(tmp_path: Path) -> dict[str, str]:
    async def fill() -> None:
        await (await _state_with_content(tmp_path)).close()

    asyncio.run(fill())
    nas = local_target(tmp_path / "nas")
    config = write_config(tmp_path / "syncd.toml", tmp_path / "state", nas)
    return {"SYNCD_CONFIG": str(config), "SYNCD_TEST_PASSPHRASE": PASS}


def test_commands_and_user_errors(
    tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = _local_setup(tmp_path)

    def cli(*args: str, environ: dict[str, str] = env) -> tuple[int, str, str]:
        return run_main(list(args), environ, tmp_path, capsys, monkeypatch)

    code, out, _ = cli("backup", "init")
    assert code == 0
    key = out.splitlines()[-1].strip()
    assert cli("backup", "key", "export")[1].strip() == key
    code, out, err = cli("backup", "run")
    assert code == 0, err
    snapshot = out.split()[1].rstrip(":")
    assert snapshot in cli("backup", "list")[1]
    code, out, _ = cli("backup", "verify", "--read-data", "--subset", "50")
    assert code == 0 and "no problems found" in out

    other = write_config(tmp_path / "other.toml", tmp_path / "state", local_target(tmp_path / "o"))
    cli("backup", "init", environ={**env, "SYNCD_CONFIG": str(other)})
    wrong = cli("backup", "key", "export", environ={**env, "SYNCD_CONFIG": str(other)})[1].strip()
    url = f"sqlite+aiosqlite:///{tmp_path / 'r' / 'syncd.db'}"
    base = ("restore", "latest", "--store", url, "--local", str(tmp_path / "nas"))
    s3 = ("--s3-endpoint", "http://127.0.0.1:9", "--bucket", "b", "--recovery-key", key)
    cases: dict[str, tuple[tuple[str, ...], int, str]] = {
        "wrong key": ((*base, "--recovery-key", wrong), 1, "does not open"),
        "bad key": ((*base, "--recovery-key", "abc"), 1, "recovery key"),
        "no key": (base, 1, "give the recovery key"),
        "no snapshot": (
            ("restore", "deadbeef", *base[2:], "--recovery-key", key),
            3,
            "no snapshot",
        ),
        "bad date": (
            (*base, "--recovery-key", key, "--site", "site0", "--as-of", "May"),
            2,
            "--as-of",
        ),
        "no site": ((*base, "--recovery-key", key, "--site", "nowhere"), 3, "no site"),
        "no folder": (
            (
                "restore",
                "latest",
                "--store",
                url,
                "--local",
                str(tmp_path / "void"),
                "--recovery-key",
                key,
            ),
            1,
            "no such folder",
        ),
        "unreachable": (("restore", "latest", "--store", url, *s3), 1, "s3://b/"),
    }
    for name, (args, expected, words) in cases.items():
        code, _, err = cli(*args, environ={"AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s"})
        lines = err.strip().splitlines()
        assert code == expected, (name, err)
        assert len(lines) == 1 and words in lines[0], (name, lines)

    dry = cli("backup", "prune", "--dry-run")
    assert dry[0] == 0 and "keep" in dry[1] and "dry run" in dry[1]
    code, out, _ = cli("backup", "prune")
    assert code == 0 and "forgot 0 snapshots" in out


def test_a_restore_with_losses_lists_them_and_exits_4(
    tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = _local_setup(tmp_path)

    def cli(*args: str) -> tuple[int, str, str]:
        return run_main(list(args), env, tmp_path, capsys, monkeypatch)

    assert cli("backup", "init")[0] == 0
    assert cli("backup", "run")[0] == 0
    packs = sorted((tmp_path / "nas" / "data").glob("*/*"), key=lambda p: p.stat().st_size)
    packs[-1].unlink()  # the largest pack: blobs, not the small first copy of the dump
    code, out, _ = cli("backup", "verify")
    assert code == 1 and "missing" in out
    url = f"sqlite+aiosqlite:///{tmp_path / 'r' / 'db'}"
    code, out, err = cli("restore", "latest", "--store", url)
    assert code == 4, err
    lost = [line for line in out.splitlines() if line.startswith("lost: ")]
    assert lost and all(" revision " in line for line in lost)
    assert "could not be restored" in err


def test_repair_and_the_next_backup_heal_lost_packs(
    tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = _local_setup(tmp_path)

    def cli(*args: str) -> tuple[int, str, str]:
        return run_main(list(args), env, tmp_path, capsys, monkeypatch)

    def lose_largest_pack() -> None:
        packs = sorted((tmp_path / "nas" / "data").glob("*/*"), key=lambda p: p.stat().st_size)
        packs[-1].unlink()

    assert cli("backup", "init")[0] == 0
    assert cli("backup", "run")[0] == 0
    lose_largest_pack()
    code, out, err = cli("backup", "repair")
    assert code == 0, err
    assert "forgot 1 missing packs" in out and "published a new index" in out
    assert "forgot" not in cli("backup", "repair")[1]  # nothing left to forget
    assert cli("backup", "run")[0] == 0  # stores again what the repair forgot
    assert cli("backup", "verify", "--read-data")[0] == 0

    lose_largest_pack()
    assert cli("backup", "verify")[0] == 1
    code, out, err = cli("backup", "run")
    assert code == 0, err
    assert "healed: " in out
    code, out, _ = cli("backup", "verify", "--read-data")
    assert code == 0 and "no problems found" in out
    url = f"sqlite+aiosqlite:///{tmp_path / 'r' / 'db'}"
    code, out, err = cli("restore", "latest", "--store", url)
    assert code == 0, (out, err)
    restored = asyncio.run(_contents(url, tmp_path / "r" / "blobs"))
    state = tmp_path / "state"
    original = asyncio.run(_contents(f"sqlite+aiosqlite:///{state / 'syncd.db'}", state / "blobs"))
    assert restored["blobs"] == original["blobs"]
    assert restored["revisions"] == original["revisions"]
