"""What this SeaweedFS version enforces: conditional writes and compliance-mode Object Lock.

These talk to the server with plain boto3 so they prove the server, not our adapter.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from tests.support.seaweed import SeaweedServer, listening_sockets


def _status(exc: pytest.ExceptionInfo[ClientError]) -> int:
    return int(exc.value.response["ResponseMetadata"]["HTTPStatusCode"])


def test_server_listens_on_loopback_only(seaweed: SeaweedServer) -> None:
    assert seaweed.endpoint_url.startswith("http://127.0.0.1:")
    assert seaweed.client.list_buckets()["ResponseMetadata"]["HTTPStatusCode"] == 200
    sockets = listening_sockets(seaweed.process.pid)
    assert ("127.0.0.1", seaweed.ports["s3.port"]) in sockets
    # nothing on another interface, nothing on a port we did not choose
    assert {address for address, _ in sockets} == {"127.0.0.1"}
    assert {port for _, port in sockets} <= set(seaweed.ports.values())


def test_if_none_match_star_refuses_an_existing_key(seaweed: SeaweedServer, s3_bucket: str) -> None:
    c = seaweed.client
    c.put_object(Bucket=s3_bucket, Key="k", Body=b"first", IfNoneMatch="*")
    with pytest.raises(ClientError) as exc:
        c.put_object(Bucket=s3_bucket, Key="k", Body=b"second", IfNoneMatch="*")
    assert _status(exc) == 412
    assert c.get_object(Bucket=s3_bucket, Key="k")["Body"].read() == b"first"


def test_if_match_replaces_only_expected_version(seaweed: SeaweedServer, s3_bucket: str) -> None:
    c = seaweed.client
    etag = c.put_object(Bucket=s3_bucket, Key="k", Body=b"v1")["ETag"]
    etag2 = c.put_object(Bucket=s3_bucket, Key="k", Body=b"v2", IfMatch=etag)["ETag"]
    with pytest.raises(ClientError) as exc:
        c.put_object(Bucket=s3_bucket, Key="k", Body=b"v3", IfMatch=etag)  # stale
    assert _status(exc) == 412
    assert c.get_object(Bucket=s3_bucket, Key="k")["Body"].read() == b"v2"
    assert c.head_object(Bucket=s3_bucket, Key="k")["ETag"] == etag2


def test_if_match_on_a_missing_key_fails(seaweed: SeaweedServer, s3_bucket: str) -> None:
    with pytest.raises(ClientError) as exc:
        seaweed.client.put_object(Bucket=s3_bucket, Key="absent", Body=b"x", IfMatch='"abc"')
    assert _status(exc) in (404, 412)


def test_compliance_lock_keeps_the_version(seaweed: SeaweedServer, s3_lock_bucket: str) -> None:
    c, b = seaweed.client, s3_lock_bucket
    version = c.put_object(Bucket=b, Key="k", Body=b"history")["VersionId"]
    until = datetime.now(UTC) + timedelta(days=1)
    c.put_object_retention(
        Bucket=b,
        Key="k",
        VersionId=version,
        Retention={"Mode": "COMPLIANCE", "RetainUntilDate": until},
    )
    with pytest.raises(ClientError) as exc:
        c.delete_object(Bucket=b, Key="k", VersionId=version)
    assert _status(exc) == 403
    # compliance mode cannot be bypassed, not even by an admin identity
    with pytest.raises(ClientError):
        c.delete_object(Bucket=b, Key="k", VersionId=version, BypassGovernanceRetention=True)
    # nor shortened
    with pytest.raises(ClientError):
        c.put_object_retention(
            Bucket=b,
            Key="k",
            VersionId=version,
            Retention={"Mode": "COMPLIANCE", "RetainUntilDate": until - timedelta(hours=1)},
        )
    # a plain delete only hides it behind a delete marker; the locked bytes stay readable
    assert c.delete_object(Bucket=b, Key="k").get("DeleteMarker") is True
    assert c.get_object(Bucket=b, Key="k", VersionId=version)["Body"].read() == b"history"


def test_unlocked_version_can_be_deleted(seaweed: SeaweedServer, s3_lock_bucket: str) -> None:
    """The control for the test above: without retention the same delete succeeds."""
    c, b = seaweed.client, s3_lock_bucket
    version = c.put_object(Bucket=b, Key="k", Body=b"free")["VersionId"]
    c.delete_object(Bucket=b, Key="k", VersionId=version)
    with pytest.raises(ClientError) as exc:
        c.get_object(Bucket=b, Key="k", VersionId=version)
    assert _status(exc) == 404
