"""Packs are built in a temporary file and streamed to the target, never held whole.

The target side: `put` takes a file (read to its end) or any buffer as well as bytes, and
`digest` hashes a stored object piece by piece; both on a folder and on real S3.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from backups.compress import Codec
from backups.errors import ObjectMissing
from backups.packs import PackBuilder, open_record, read_trailer, seal_record
from backups.targets.base import Target
from backups.targets.local import LocalTarget
from tests.support.seaweed import SeaweedServer

KEY = bytes(range(32))


@pytest.fixture(params=["local", "s3"])
async def target(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Target]:
    made: Target
    if request.param == "local":
        made = LocalTarget(tmp_path / "target")
    else:
        server: SeaweedServer = request.getfixturevalue("seaweed")
        made = server.target(server.create_bucket(), "streamed")
    yield made
    await made.close()


def _sealed(i: int, size: int) -> tuple[str, bytes, bytes]:
    plain = hashlib.sha256(str(i).encode()).digest() * (size // 32)
    object_id = hashlib.sha256(plain).hexdigest()
    return object_id, plain, seal_record(KEY, object_id, "blob", Codec.NONE, None, plain)


def test_a_pack_larger_than_its_memory_spool_reads_back_record_by_record() -> None:
    builder = PackBuilder()
    objects = [_sealed(i, 300_000) for i in range(8)]  # 2.4 MB: past the 1 MiB spool
    for object_id, _, record in objects:
        builder.add(object_id, record)
    pack = builder.finish(KEY)
    data = pack.data
    assert pack.size == len(data) > 2_000_000
    assert pack.name == hashlib.sha256(data).hexdigest()
    assert pack.file.tell() == 0  # ready to be streamed from the start
    entries = read_trailer(KEY, pack.name, data)
    assert [e.object_id for e in entries] == [o[0] for o in objects]
    for entry, (object_id, plain, _) in zip(entries, objects, strict=True):
        record = data[entry.offset : entry.offset + entry.length]
        assert open_record(KEY, object_id, record).payload == plain
    pack.close()
    assert pack.file.closed
    # The builder starts the next pack empty.
    assert len(builder) == 0 and builder.size == 0


async def test_put_takes_a_file_a_view_or_a_bytearray(target: Target) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)
    with tempfile.TemporaryFile() as fh:
        fh.write(data)
        fh.seek(0)
        await target.put("data/aa/from-file", fh)
    await target.put("data/aa/from-view", memoryview(data)[5:])
    await target.put("data/aa/from-bytearray", bytearray(data[:1000]))
    await target.put("data/aa/from-bytesio", io.BytesIO(data[:10]))
    assert await target.get("data/aa/from-file") == data
    assert await target.get("data/aa/from-view") == data[5:]
    assert await target.get("data/aa/from-bytearray") == data[:1000]
    assert await target.get("data/aa/from-bytesio") == data[:10]


async def test_digest_is_size_and_sha256_of_the_stored_bytes(target: Target) -> None:
    data = os.urandom(1024 * 1024 + 3)
    await target.put("data/bb/object", data)
    assert await target.digest("data/bb/object") == (len(data), hashlib.sha256(data).hexdigest())
    await target.put("empty", b"")
    assert await target.digest("empty") == (0, hashlib.sha256(b"").hexdigest())
    with pytest.raises(ObjectMissing):
        await target.digest("data/bb/absent")


async def test_head_says_when_an_object_was_written(target: Target) -> None:
    # pruning orphan blobs by age relies on it, on a folder and on S3 alike
    before = datetime.now(UTC) - timedelta(minutes=5)  # S3 keeps whole seconds; clocks drift
    await target.put("data/ab/dated", b"x" * 100)
    found = await target.head("data/ab/dated")
    assert found is not None and found.size == 100
    assert found.modified is not None
    assert before <= found.modified <= datetime.now(UTC) + timedelta(minutes=5)
    assert await target.head("data/ab/never-written") is None
