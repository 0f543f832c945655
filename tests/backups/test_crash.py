"""kill -9 a writer at many random points; the repository must stay openable and correct."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from pathlib import Path

from backups.repository import Repository
from backups.verify import verify
from tests.backups.helpers import PASSPHRASE, beyond_a_crash, local, oid, page

ROUNDS = 8
REPO_ROOT = Path(__file__).resolve().parents[2]


def _run_and_kill(root: Path, seed: int, kill_after: int) -> int:
    """Start the writer, kill -9 it right after its `kill_after`-th announced write."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.backups.crash_writer", str(root), str(seed)],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    assert proc.stdout is not None
    commits = writes = 0
    try:
        for line in proc.stdout:
            if line.startswith(b"committed"):
                commits += 1
            else:
                writes += 1
            if writes >= kill_after:
                break
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
    assert writes >= kill_after, "writer stopped on its own"
    return commits


async def test_kill_9_at_random_points_never_breaks_the_repository(tmp_path: Path) -> None:
    rnd = random.Random(20261128)
    committed = 0
    for seed in range(1, ROUNDS + 1):
        committed += _run_and_kill(tmp_path, seed, rnd.randint(1, 40))

    repo = await Repository.open(local(tmp_path), PASSPHRASE)
    report = await verify(repo, read_data=True)
    assert beyond_a_crash(repo, report) == []
    snaps = await repo.list_snapshots()
    assert len(snaps) >= committed
    for snap in snaps:
        for object_id in await repo.reachable(snap.tree.values()):
            await repo.read(object_id)

    data = page(999_999)
    await repo.add(oid(data), data, "page")
    await repo.commit_snapshot({"after": oid(data)})
    reopened = await Repository.open(local(tmp_path), PASSPHRASE)
    assert (await verify(reopened)).ok
    assert await reopened.read(oid(data)) == data
    assert len(await reopened.list_snapshots()) == len(snaps) + 1
