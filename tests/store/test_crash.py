"""kill -9 a writing process many times; the store must always reopen consistent."""

from __future__ import annotations

import asyncio
import random
import sys
from pathlib import Path

from syncd.store.blobs import LocalBlobStore
from syncd.store.check import check_store
from syncd.store.db import create_engine, upgrade
from syncd.store.store import Store

WRITER = Path(__file__).with_name("crash_writer.py")
ROUNDS = 12


async def _check_consistent(url: str, blob_dir: Path) -> int:
    """The same check as `syncd db check`: contiguous seqs, head = newest, deleted = head is
    a tombstone, every referenced blob recorded, and every recorded blob reads back intact."""
    store = Store(create_engine(url), LocalBlobStore(blob_dir))
    try:
        report = await check_store(store)
    finally:
        await store.close()
    assert report.problems == [], report.problems
    assert report.consistent
    # orphans (a media blob written, its row not yet committed) are allowed, never problems
    return report.revisions


async def test_kill_9_while_writing_leaves_store_consistent(store_url: str, tmp_path: Path) -> None:
    await upgrade(store_url)
    blob_dir = tmp_path / "blobs"
    rng = random.Random(7)
    counts = []
    for round_no in range(ROUNDS):
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            str(WRITER),
            store_url,
            str(blob_dir),
            str(round_no),
            stdout=asyncio.subprocess.PIPE,
        )
        assert proc.stdout is not None
        assert (await proc.stdout.readline()).strip() == b"ready"
        assert (await proc.stdout.readline()).strip() == b"w"
        await asyncio.sleep(rng.uniform(0.05, 0.6))
        proc.kill()  # SIGKILL: no cleanup, no flush, like a power cut for the process
        await proc.wait()
        counts.append(await _check_consistent(store_url, blob_dir))
    # the writer really wrote between kills, so the checks above saw live data
    assert counts[-1] > counts[0] > 0
