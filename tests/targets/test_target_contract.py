"""The contract every storage target keeps; run unchanged on a folder and on real S3."""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
from datetime import UTC, datetime, timedelta

import pytest

from backups.errors import ObjectLocked, ObjectMissing, PreconditionFailed
from backups.targets.base import Target


async def _names(target: Target, prefix: str = "") -> list[str]:
    return [info.name async for info in target.list(prefix)]


async def test_put_get_head_round_trip(target: Target) -> None:
    data = "Bản tin huyện\n".encode() * 100
    await target.put("data/ab/abcdef", data)
    assert await target.get("data/ab/abcdef") == data
    info = await target.head("data/ab/abcdef")
    assert info is not None
    assert (info.name, info.size) == ("data/ab/abcdef", len(data))
    assert info.etag


async def test_head_reports_the_sha256_of_what_was_put(target: Target) -> None:
    data = os.urandom(300_000)
    spooled = tempfile.SpooledTemporaryFile(max_size=1024)  # noqa: SIM115
    spooled.write(data)
    spooled.seek(0)
    for name, body in (("bytes", data), ("file", spooled), ("view", memoryview(data))):
        await target.put(name, body)
        info = await target.head(name)
        assert info is not None and info.sha256 == hashlib.sha256(data).hexdigest(), name
    spooled.close()
    await target.put_if_match("cond", b"conditional", None)
    info = await target.head("cond")
    assert info is not None and info.sha256 == hashlib.sha256(b"conditional").hexdigest()


async def test_put_replaces(target: Target) -> None:
    await target.put("index/1", b"old")
    await target.put("index/1", b"new")
    assert await target.get("index/1") == b"new"


async def test_empty_object(target: Target) -> None:
    await target.put("empty", b"")
    assert await target.get("empty") == b""
    info = await target.head("empty")
    assert info is not None
    assert (info.name, info.size) == ("empty", 0)
    assert [i.size async for i in target.list("empty")] == [0]


async def test_missing_object(target: Target) -> None:
    with pytest.raises(ObjectMissing, match="nothing/here"):
        await target.get("nothing/here")
    assert await target.head("nothing/here") is None


async def test_list_by_string_prefix_sorted(target: Target) -> None:
    for name in ["data/b/2", "data/a/1", "data/ab/3", "index/x", "top"]:
        await target.put(name, name.encode())
    assert await _names(target) == ["data/a/1", "data/ab/3", "data/b/2", "index/x", "top"]
    assert await _names(target, "data/a") == ["data/a/1", "data/ab/3"]
    assert await _names(target, "data/a/") == ["data/a/1"]
    assert await _names(target, "nothing") == []
    sizes = {info.name: info.size async for info in target.list("index/")}
    assert sizes == {"index/x": len(b"index/x")}


async def test_delete(target: Target) -> None:
    await target.put("gone/1", b"x")
    await target.put("kept/1", b"y")
    await target.delete("gone/1")
    assert await target.head("gone/1") is None
    assert await _names(target) == ["kept/1"]
    await target.delete("gone/1")  # deleting what is absent is not an error


async def test_bad_names_are_refused(target: Target) -> None:
    for bad in ["", "/abs", "a//b", "a/../b", "dir/"]:
        with pytest.raises(ValueError, match="bad object name"):
            await target.put(bad, b"x")


async def test_put_if_absent(target: Target) -> None:
    await target.put_if_absent("head", b"first")
    with pytest.raises(PreconditionFailed, match="head"):
        await target.put_if_absent("head", b"second")
    assert await target.get("head") == b"first"


async def test_put_if_absent_race_has_one_winner(target: Target) -> None:
    names = [f"race/{i}" for i in range(8)]
    attempts = [target.put_if_absent(n, f"{n}:{w}".encode()) for n in names for w in "AB"]
    results = await asyncio.gather(*attempts, return_exceptions=True)
    for i, name in enumerate(names):
        a, b = results[2 * i], results[2 * i + 1]
        assert sorted([a is None, b is None]) == [False, True], (name, a, b)
        loser = a if b is None else b
        assert isinstance(loser, PreconditionFailed)
        winner = "A" if a is None else "B"
        assert await target.get(name) == f"{name}:{winner}".encode()


async def test_put_if_match(target: Target) -> None:
    first = await target.put_if_match("head", b"v1", None)
    data, etag = await target.get_with_etag("head")
    assert (data, etag) == (b"v1", first)
    second = await target.put_if_match("head", b"v2", first)
    assert second != first
    with pytest.raises(PreconditionFailed):
        await target.put_if_match("head", b"v3", first)  # stale etag
    with pytest.raises(PreconditionFailed):
        await target.put_if_match("head", b"v3", None)  # "only if absent"
    with pytest.raises(PreconditionFailed):
        await target.put_if_match("absent", b"v3", first)
    assert await target.get_with_etag("head") == (b"v2", second)
    assert await target.head("absent") is None


async def test_put_if_match_race_has_one_winner(target: Target) -> None:
    etag = await target.put_if_match("head", b"base", None)
    results = await asyncio.gather(
        *(target.put_if_match("head", f"next-{w}".encode(), etag) for w in "ABCD"),
        return_exceptions=True,
    )
    winners = [i for i, r in enumerate(results) if isinstance(r, str)]
    assert len(winners) == 1, results
    assert all(isinstance(r, PreconditionFailed) for r in results if not isinstance(r, str))
    assert await target.get_with_etag("head") == (
        f"next-{'ABCD'[winners[0]]}".encode(),
        results[winners[0]],
    )


async def test_lock_until_prevents_delete(lock_target: Target) -> None:
    until = datetime.now(UTC) + timedelta(days=1)
    await lock_target.put("packs/locked", b"history")
    await lock_target.put("packs/free", b"prunable")
    await lock_target.lock_until("packs/locked", until)
    with pytest.raises(ObjectLocked, match="packs/locked"):
        await lock_target.delete("packs/locked")
    assert await lock_target.get("packs/locked") == b"history"
    await lock_target.delete("packs/free")  # the control: an unlocked object goes
    assert await lock_target.head("packs/free") is None


async def test_lock_can_extend_but_not_shorten(lock_target: Target) -> None:
    until = datetime.now(UTC) + timedelta(days=1)
    await lock_target.put("manifest", b"m")
    await lock_target.lock_until("manifest", until)
    await lock_target.lock_until("manifest", until + timedelta(days=1))
    with pytest.raises(ObjectLocked):
        await lock_target.lock_until("manifest", until)


async def test_lock_of_missing_object(lock_target: Target) -> None:
    with pytest.raises(ObjectMissing):
        await lock_target.lock_until("absent", datetime.now(UTC) + timedelta(days=1))
