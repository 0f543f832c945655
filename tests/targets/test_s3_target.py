"""What only the S3 target needs proving, against the real SeaweedFS server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from backups.errors import ObjectLocked, TargetError
from backups.targets.credentials import SecretSource
from backups.targets.s3 import S3Target
from backups.targets.s3_settings import S3Settings
from tests.support.seaweed import SeaweedServer


def _versions(server: SeaweedServer, bucket: str, key: str) -> list[str]:
    page = server.client.list_object_versions(Bucket=bucket, Prefix=key)
    entries = [*page.get("Versions", []), *page.get("DeleteMarkers", [])]
    return [e["VersionId"] for e in entries if e["Key"] == key]


async def test_objects_live_under_the_prefix(seaweed: SeaweedServer, s3_bucket: str) -> None:
    target = seaweed.target(s3_bucket, "/site/backups/")
    await target.put("index/1", b"x")
    keys = [o["Key"] for o in seaweed.client.list_objects_v2(Bucket=s3_bucket)["Contents"]]
    assert keys == ["site/backups/index/1"]
    assert [i.name async for i in target.list()] == ["index/1"]
    await target.close()


async def test_delete_on_a_versioned_bucket_removes_every_version(
    seaweed: SeaweedServer, s3_lock_bucket: str
) -> None:
    target = seaweed.target(s3_lock_bucket)
    for n in range(3):
        await target.put("pack", f"v{n}".encode())
    assert len(_versions(seaweed, s3_lock_bucket, "repo/pack")) == 3
    await target.delete("pack")
    assert _versions(seaweed, s3_lock_bucket, "repo/pack") == []
    await target.close()


async def test_locked_object_survives_delete_with_all_versions(
    seaweed: SeaweedServer, s3_lock_bucket: str
) -> None:
    target = seaweed.target(s3_lock_bucket)
    await target.put("manifest", b"m1")
    await target.lock_until("manifest", datetime.now(UTC) + timedelta(days=1))
    with pytest.raises(ObjectLocked, match="locked until"):
        await target.delete("manifest")
    assert await target.get("manifest") == b"m1"
    await target.close()


async def test_lock_on_a_bucket_without_object_lock(seaweed: SeaweedServer, s3_bucket: str) -> None:
    target = seaweed.target(s3_bucket)
    await target.put("x", b"x")
    with pytest.raises(TargetError, match="not created with Object Lock"):
        await target.lock_until("x", datetime.now(UTC) + timedelta(days=1))
    await target.close()


async def test_wrong_secret_is_a_one_line_target_error(
    seaweed: SeaweedServer, s3_bucket: str
) -> None:
    target = S3Target(
        seaweed.endpoint_url,
        seaweed.region,
        s3_bucket,
        "",
        seaweed.access_key,
        "not-the-secret",
        max_attempts=1,
    )
    with pytest.raises(TargetError) as exc:
        await target.put("x", b"x")
    assert "\n" not in str(exc.value) and "SignatureDoesNotMatch" in str(exc.value)
    await target.close()


async def test_missing_bucket(seaweed: SeaweedServer) -> None:
    target = seaweed.target("no-such-bucket-here")
    with pytest.raises(TargetError, match="no-such-bucket-here"):
        await target.get("x")
    await target.close()


async def test_from_settings_reads_secrets_from_their_sources(
    seaweed: SeaweedServer, s3_bucket: str, tmp_path: Path
) -> None:
    (tmp_path / "creds").mkdir()
    (tmp_path / "creds" / "s3-secret").write_text(seaweed.secret_key + "\n")
    settings = S3Settings(
        endpoint_url=seaweed.endpoint_url,
        region=seaweed.region,
        bucket=s3_bucket,
        access_key=SecretSource(env="SYNCD_TEST_S3_KEY"),
        secret_key=SecretSource(credential="s3-secret"),
        prefix="p",
    )
    environ = {
        "SYNCD_TEST_S3_KEY": seaweed.access_key,
        "CREDENTIALS_DIRECTORY": str(tmp_path / "creds"),
    }
    target = S3Target.from_settings(settings, environ)
    await target.put("hello", b"world")
    assert await target.get("hello") == b"world"
    await target.close()
