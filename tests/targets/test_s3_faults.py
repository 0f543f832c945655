"""S3Target against a server that fails: retried faults are invisible, permanent ones surface
as TargetError with a one-line message. A real SeaweedFS sits behind a faulty proxy."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from backups.errors import ObjectMissing, TargetError
from backups.targets.s3 import S3Target
from tests.support.faulty_proxy import FaultyProxy, Mode
from tests.support.seaweed import SeaweedServer

ATTEMPTS = 3  # small: botocore's back-off doubles from up to 1 s per retry


@dataclass
class Rig:
    proxy: FaultyProxy
    target: S3Target  # reaches SeaweedFS through the proxy
    direct: S3Target  # the same bucket and prefix, straight to SeaweedFS


@pytest.fixture
async def rig(seaweed: SeaweedServer, s3_bucket: str) -> AsyncIterator[Rig]:
    proxy = FaultyProxy(seaweed.endpoint_url)
    url = await proxy.start()
    target = seaweed.target(s3_bucket, endpoint_url=url, max_attempts=ATTEMPTS)
    direct = seaweed.target(s3_bucket)
    yield Rig(proxy, target, direct)
    await target.close()
    await direct.close()
    await proxy.stop()


async def test_proxy_passes_requests_through(rig: Rig) -> None:
    await rig.target.put("a/b", b"through the proxy")
    assert await rig.direct.get("a/b") == b"through the proxy"
    info = await rig.target.head("a/b")
    assert info is not None and info.size == len(b"through the proxy")
    assert rig.proxy.requests >= 2 and rig.proxy.faults == 0


@pytest.mark.parametrize("mode", ["error", "drop"])
async def test_transient_faults_are_retried(rig: Rig, mode: Mode) -> None:
    rig.proxy.fail(mode, ATTEMPTS - 1)
    await rig.target.put("packs/1", b"pack bytes")
    assert rig.proxy.faults == ATTEMPTS - 1
    rig.proxy.fail(mode, ATTEMPTS - 1)
    assert await rig.target.get("packs/1") == b"pack bytes"
    assert rig.proxy.faults == 2 * (ATTEMPTS - 1)
    assert await rig.direct.get("packs/1") == b"pack bytes"


@pytest.mark.parametrize("mode", ["error", "drop"])
async def test_permanent_failure_is_one_target_error(rig: Rig, mode: Mode) -> None:
    rig.proxy.fail(mode, None)
    with pytest.raises(TargetError) as exc:
        await rig.target.put("packs/1", b"pack bytes")
    message = str(exc.value)
    assert "\n" not in message
    assert "packs/1" in message and "put" in message
    assert rig.proxy.requests == ATTEMPTS  # retried, but boundedly
    assert await rig.direct.head("packs/1") is None


async def test_missing_object_is_not_retried_as_a_fault(rig: Rig) -> None:
    with pytest.raises(ObjectMissing):
        await rig.target.get("absent")
    assert rig.proxy.requests == 1


async def test_conditional_write_that_landed_before_the_drop_counts_as_won(rig: Rig) -> None:
    """The first PUT takes effect but its answer is lost; botocore retries, the server says
    412 (the key exists now). The target sees its own bytes there and reports success."""
    rig.proxy.fail("drop-after", 1)
    etag = await rig.target.put_if_match("head", b"snapshot 1", None)
    assert rig.proxy.faults == 1 and rig.proxy.requests >= 2
    assert await rig.direct.get_with_etag("head") == (b"snapshot 1", etag)
