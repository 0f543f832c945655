"""What only the folder target needs proving: crash-safe layout, cross-process exclusion,
and that its retention sidecar outlives the object that wrote it."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from backups.errors import ObjectLocked, PreconditionFailed
from backups.targets.local import LocalTarget, etag_of

_COUNTER = textwrap.dedent(
    """
    import asyncio, sys
    from backups.errors import PreconditionFailed
    from backups.targets.local import LocalTarget

    async def main(root, rounds):
        target, wins = LocalTarget(root), 0
        while wins < rounds:
            data, etag = await target.get_with_etag("counter")
            try:
                await target.put_if_match("counter", str(int(data) + 1).encode(), etag)
            except PreconditionFailed:
                continue
            wins += 1
        print(wins)

    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
    """
)


async def test_two_processes_never_lose_an_update(tmp_path: Path) -> None:
    """Two processes increment one counter with put_if_match. If both could win the same
    round, an increment would be lost and the final value would fall short."""
    target = LocalTarget(tmp_path)
    await target.put_if_absent("counter", b"0")
    rounds = 40
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            _COUNTER,
            str(tmp_path),
            str(rounds),
            stdout=subprocess.PIPE,
            cwd=Path(__file__).parents[2],
        )
        for _ in range(2)
    ]
    outputs = [await p.communicate() for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    assert sum(int(out) for out, _ in outputs) == 2 * rounds
    assert await target.get("counter") == str(2 * rounds).encode()


async def test_etag_is_sha256_of_content(tmp_path: Path) -> None:
    target = LocalTarget(tmp_path)
    etag = await target.put_if_match("x", b"content", None)
    assert etag == etag_of(b"content")
    info = await target.head("x")
    assert info is not None and info.etag == etag


async def test_bookkeeping_stays_out_of_sight(tmp_path: Path) -> None:
    target = LocalTarget(tmp_path)
    await target.put("a", b"1")
    await target.lock_until("a", datetime.now(UTC) + timedelta(days=1))
    with pytest.raises(PreconditionFailed):
        await target.put_if_absent("a", b"2")
    assert [i.name async for i in target.list()] == ["a"]
    assert list((tmp_path / ".target" / "tmp").iterdir()) == []  # no temp file left behind
    with pytest.raises(ValueError, match="reserved"):
        await target.put(".target/x", b"")


async def test_lock_survives_a_new_instance_and_blocks_overwrite(tmp_path: Path) -> None:
    await LocalTarget(tmp_path).put("snap", b"v1")
    await LocalTarget(tmp_path).lock_until("snap", datetime.now(UTC) + timedelta(days=1))
    reopened = LocalTarget(tmp_path)
    with pytest.raises(ObjectLocked, match="snap"):
        await reopened.delete("snap")
    # unlike a versioned bucket, a folder keeps one copy, so overwriting would lose history
    with pytest.raises(ObjectLocked):
        await reopened.put("snap", b"v2")
    assert await reopened.get("snap") == b"v1"


async def test_expired_lock_no_longer_protects(tmp_path: Path) -> None:
    target = LocalTarget(tmp_path)
    await target.put("old", b"x")
    # written directly: lock_until itself must refuse to shorten, so an expired sidecar
    # can only come from the passing of time
    sidecar = tmp_path / ".target" / "locks" / "old"
    sidecar.write_text((datetime.now(UTC) - timedelta(seconds=1)).isoformat())
    await target.delete("old")
    assert await target.head("old") is None
    assert not sidecar.exists()


async def test_naive_datetime_is_refused(tmp_path: Path) -> None:
    target = LocalTarget(tmp_path)
    await target.put("n", b"x")
    with pytest.raises(ValueError, match="timezone"):
        await target.lock_until("n", datetime(2030, 1, 1))
