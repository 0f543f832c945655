"""kill -9 during `syncd backup run` at several stages: the repository stays valid, and the next
backup completes and restores everything."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from backups.repository import Repository
from backups.targets.local import LocalTarget
from backups.verify import verify
from syncd.backup.restore import restore_snapshot
from syncd.backup.schedule import scheduled_backup
from syncd.config.load import load_config
from syncd.store.db import default_url
from tests.backup.cli_support import REPO_ROOT, clean_env, local_target, write_config
from tests.backup.helpers import FAST_SCRYPT, content, open_fresh_store, populate, sqlite_store
from tests.backups.helpers import beyond_a_crash

PASS = "khóa sao lưu"
# writes of one backup: dump pack, data pack, index x2, manifest x2, HEAD
KILL_AFTER = (1, 2, 4, 6)


def _run_and_kill(config: Path, kill_after: int) -> list[str]:
    env = clean_env(SYNCD_CONFIG=str(config), SYNCD_TEST_PASSPHRASE=PASS, PYTHONPATH=str(REPO_ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.backup.crash_backup"],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    assert proc.stdout is not None
    writes: list[str] = []
    try:
        for line in proc.stdout:
            writes.append(line.decode().split()[1])
            if len(writes) >= kill_after:
                break
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
    assert len(writes) >= kill_after, "the backup ended before the kill"
    return writes


async def test_kill_9_during_backup_run_leaves_a_valid_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The store the configuration names: the killed `syncd backup run` backs up this one too.
    state = tmp_path / "state"
    store = await open_fresh_store(default_url(state), state / "blobs")
    await populate(store, sites=2, items=6)
    await Repository.init(LocalTarget(tmp_path / "nas"), PASS, scrypt=FAST_SCRYPT)
    config_path = write_config(
        tmp_path / "syncd.toml", tmp_path / "state", local_target(tmp_path / "nas")
    )
    monkeypatch.setenv("SYNCD_TEST_PASSPHRASE", PASS)
    seen = [_run_and_kill(config_path, n)[-1] for n in KILL_AFTER]
    assert any(name.startswith("data/") for name in seen)
    assert any(name.startswith(("index", "snapshots")) for name in seen)

    repo = await Repository.open(LocalTarget(tmp_path / "nas"), PASS)
    assert beyond_a_crash(repo, await verify(repo, read_data=True)) == []
    result = await scheduled_backup(load_config(config_path), store, "nas")
    repo = await Repository.open(LocalTarget(tmp_path / "nas"), PASS)
    report = await verify(repo, read_data=True)
    assert report.ok, report.problems
    assert (await repo.list_snapshots())[0].id == result.snapshot
    fresh = await sqlite_store(tmp_path, "restored")
    try:
        assert (await restore_snapshot(repo, "latest", fresh)).complete
        assert await content(fresh) == await content(store)
    finally:
        await fresh.close()
        await store.close()
