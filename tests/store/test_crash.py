"""kill -9 a writing process many times; the store must always reopen consistent."""

from __future__ import annotations

import asyncio
import random
import sys
from pathlib import Path

from sqlalchemy import func, select

from syncd.store import schema as t
from syncd.store.blobs import LocalBlobStore
from syncd.store.db import create_engine, upgrade
from syncd.store.store import Store

WRITER = Path(__file__).with_name("crash_writer.py")
ROUNDS = 12


async def _check_consistent(url: str, blob_dir: Path) -> int:
    store = Store(create_engine(url), LocalBlobStore(blob_dir))
    try:
        async with store.engine.connect() as conn:
            items = (await conn.execute(select(t.items))).all()
            for item in items:
                seqs = (
                    (
                        await conn.execute(
                            select(t.revisions.c.seq)
                            .where(t.revisions.c.item_id == item.id)
                            .order_by(t.revisions.c.seq)
                        )
                    )
                    .scalars()
                    .all()
                )
                # no gaps, and the head is exactly the newest revision
                assert list(seqs) == list(range(1, len(seqs) + 1))
                assert item.head_seq == len(seqs)
            # every referenced blob is durable and intact
            shas = (await conn.execute(select(t.revisions.c.content_sha))).scalars().all()
            media = (await conn.execute(select(t.revision_blobs.c.sha))).scalars().all()
            for sha in [*shas, *media]:
                if sha is not None:
                    await store.blobs.get(sha)
            return int(
                (await conn.execute(select(func.count()).select_from(t.revisions))).scalar_one()
            )
    finally:
        await store.close()


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
