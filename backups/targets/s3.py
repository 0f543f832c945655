"""A storage target in an S3 bucket. The one module in the project that talks to boto3.

boto3 blocks, so every call runs in a bounded thread pool of this target's own (sized like
the connection pool, so a burst of calls queues here instead of opening sockets without end).
botocore's "standard" retry mode retries 5xx answers, throttling and dropped connections
with jittered back-off; whatever is left is mapped onto backups.errors with a one-line message.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import functools
import hashlib
import io
import threading
from collections.abc import AsyncIterator, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import IO, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from backups.errors import ObjectLocked, ObjectMissing, PreconditionFailed, TargetError
from backups.targets.base import ObjectInfo, PutData
from backups.targets.credentials import read_secret
from backups.targets.names import check_name
from backups.targets.s3_settings import S3Settings

_READ_CHUNK = 256 * 1024
_MISSING = {"NoSuchKey", "NotFound", "404", "NoSuchVersion"}
_CONFLICT = {"PreconditionFailed", "ConditionalRequestConflict"}


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _status(exc: ClientError) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))


def _retried(exc: ClientError) -> bool:
    return int(exc.response.get("ResponseMetadata", {}).get("RetryAttempts", 0)) > 0


def _sha256_b64(body: bytes | bytearray | IO[bytes] | io.RawIOBase) -> str:
    """The base64 SHA-256 of a body, a file read from its position and rewound to it."""
    if isinstance(body, bytes | bytearray):
        return base64.b64encode(hashlib.sha256(body).digest()).decode()
    start = body.tell()
    digest = hashlib.sha256()
    while chunk := body.read(_READ_CHUNK):
        digest.update(chunk)
    body.seek(start)
    return base64.b64encode(digest.digest()).decode()


def _sha256_hex(reported: object) -> str | None:
    """The hex digest of a reported ChecksumSHA256 (base64); None for none or a composite one
    (a multipart upload's, "...-N"), which is not the object's own hash."""
    if not isinstance(reported, str) or "-" in reported:
        return None
    try:
        raw = base64.b64decode(reported, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw.hex() if len(raw) == 32 else None


def _md5_etag(data: bytes) -> str:
    # S3's etag of a single-part, unencrypted upload is the quoted MD5 of the bytes
    return '"' + hashlib.md5(data, usedforsecurity=False).hexdigest() + '"'


class _ViewBody(io.RawIOBase):
    """A seekable, read-only file over a memoryview: botocore takes bytes, bytearrays and
    files as a body, and a file lets it stream (and rewind for a retry) without a copy."""

    def __init__(self, view: memoryview) -> None:
        super().__init__()
        self._view = view.cast("B")
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: len(self._view)}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: Any) -> int:
        chunk = self._view[self._pos : self._pos + len(buffer)]
        buffer[: len(chunk)] = chunk
        self._pos += len(chunk)
        return len(chunk)


def _body(data: PutData) -> bytes | bytearray | IO[bytes] | io.RawIOBase:
    return _ViewBody(data) if isinstance(data, memoryview) else data


_SESSION_LOCK = threading.Lock()
_SESSION: list[boto3.session.Session] = []


def _shared_session() -> boto3.session.Session:
    """One boto3 session for every target: it caches the parsed service model, which makes
    a new client take ~15 ms instead of ~160 ms. Sessions are not thread-safe, hence the lock;
    credentials and region are given per client, so nothing leaks between targets."""
    if not _SESSION:
        _SESSION.append(boto3.session.Session())
    return _SESSION[0]


class S3Target:
    """Implements `backups.targets.base.Target` on `bucket`, under `prefix`."""

    def __init__(
        self,
        endpoint_url: str | None,
        region: str,
        bucket: str,
        prefix: str = "",
        access_key: str | None = None,
        secret_key: str | None = None,
        *,
        path_style: bool = True,
        max_attempts: int = 5,
        max_connections: int = 8,
        connect_timeout: float = 10.0,
        read_timeout: float = 60.0,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self._where = f"s3://{bucket}/{self.prefix}"
        config = Config(
            region_name=region,
            retries={"mode": "standard", "total_max_attempts": max_attempts},
            max_pool_connections=max_connections,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            s3={"addressing_style": "path" if path_style else "virtual"},
            # the newer default (CRC trailers on every upload) breaks several S3-compatible
            # servers; SigV4 already signs the payload hash over http, TLS guards https
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        with _SESSION_LOCK:
            self._client: Any = _shared_session().client(
                "s3",
                endpoint_url=endpoint_url,
                aws_access_key_id=access_key,
                aws_secret_access_key=secret_key,
                config=config,
            )
        self._pool = ThreadPoolExecutor(max_connections, thread_name_prefix="s3-target")
        self._versioned: bool | None = None
        self._closed = False

    @classmethod
    def from_settings(cls, s: S3Settings, environ: Mapping[str, str] | None = None) -> S3Target:
        return cls(
            s.endpoint_url,
            s.region,
            s.bucket,
            s.prefix,
            read_secret(s.access_key, f"s3 target {s.bucket}: access key", environ),
            read_secret(s.secret_key, f"s3 target {s.bucket}: secret key", environ),
            path_style=s.path_style,
            max_attempts=s.max_attempts,
            max_connections=s.max_connections,
            connect_timeout=s.connect_timeout,
            read_timeout=s.read_timeout,
        )

    def __repr__(self) -> str:
        return f"S3Target({self._where!r})"

    # --- plumbing ---------------------------------------------------------------------

    def _key(self, name: str) -> str:
        check_name(name)
        return self.prefix + name

    async def _call(self, op: str, name: str, fn: Callable[..., Any], **kwargs: Any) -> Any:
        """Run one boto3 call in the pool; transport failures become TargetError."""
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._pool, functools.partial(fn, **kwargs))
        except ClientError as exc:
            if _code(exc) in _MISSING or _status(exc) == 404:
                if _code(exc) == "NoSuchBucket":
                    raise TargetError(f"{op} {name}: bucket {self.bucket} does not exist") from exc
                raise ObjectMissing(f"{name} is not in {self._where}") from exc
            raise
        except BotoCoreError as exc:
            message = str(exc).replace("\n", " ")
            raise TargetError(f"{op} {name} in {self._where} failed: {message}") from exc

    def _failed(self, op: str, name: str, exc: ClientError) -> TargetError:
        message = str(exc.response.get("Error", {}).get("Message", "")).replace("\n", " ")
        return TargetError(
            f"{op} {name} in {self._where} failed: {_code(exc)} (HTTP {_status(exc)}) {message}"
        )

    def _put_object(self, **kwargs: Any) -> Any:
        """put_object with the body's SHA-256, which the server checks on arrival and keeps:
        a head then tells whether a pack still holds what it is named by. Computed here (in
        the worker thread) and sent as a header: botocore's own would go in a trailer, which
        several S3-compatible servers refuse."""
        body = kwargs["Body"]
        return self._client.put_object(
            Bucket=self.bucket, ChecksumSHA256=_sha256_b64(body), **kwargs
        )

    async def _current_etag(self, name: str) -> str | None:
        info = await self.head(name)
        return info.etag if info else None

    # --- the Target interface ---------------------------------------------------------

    async def put(self, name: str, data: PutData) -> None:
        key = self._key(name)
        try:
            await self._call("put", name, self._put_object, Key=key, Body=_body(data))
        except ClientError as exc:
            raise self._failed("put", name, exc) from exc

    async def put_if_absent(self, name: str, data: bytes) -> None:
        await self.put_if_match(name, data, None)

    async def put_if_match(self, name: str, data: bytes, etag: str | None) -> str:
        key = self._key(name)
        condition = {"IfNoneMatch": "*"} if etag is None else {"IfMatch": etag}
        try:
            answer = await self._call(
                "put", name, self._put_object, Key=key, Body=data, **condition
            )
        except ObjectMissing as exc:  # AWS answers If-Match on an absent key with 404
            raise PreconditionFailed(f"{name} is absent, expected etag {etag}") from exc
        except ClientError as exc:
            if not (_code(exc) in _CONFLICT or _status(exc) in (409, 412)):
                raise self._failed("put", name, exc) from exc
            # botocore may have retried a write that had in fact landed before the connection
            # dropped; then the object now holds exactly our bytes and we did win
            if _retried(exc) and await self._current_etag(name) == _md5_etag(data):
                return _md5_etag(data)
            what = "already exists" if etag is None else f"no longer has etag {etag}"
            raise PreconditionFailed(f"{name} {what} in {self._where}") from exc
        return str(answer["ETag"])

    async def get(self, name: str) -> bytes:
        return (await self.get_with_etag(name))[0]

    async def get_with_etag(self, name: str) -> tuple[bytes, str]:
        key = self._key(name)

        def fetch() -> tuple[bytes, str]:
            # the body streams from the socket, so it is read inside the worker thread
            answer = self._client.get_object(Bucket=self.bucket, Key=key)
            return answer["Body"].read(), str(answer["ETag"])

        try:
            result: tuple[bytes, str] = await self._call("get", name, fetch)
        except ClientError as exc:
            raise self._failed("get", name, exc) from exc
        return result

    async def digest(self, name: str) -> tuple[int, str]:
        key = self._key(name)

        def fetch() -> tuple[int, str]:
            body = self._client.get_object(Bucket=self.bucket, Key=key)["Body"]
            digest = hashlib.sha256()
            size = 0
            try:
                while chunk := body.read(_READ_CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
            finally:
                body.close()
            return size, digest.hexdigest()

        try:
            result: tuple[int, str] = await self._call("get", name, fetch)
        except ClientError as exc:
            raise self._failed("get", name, exc) from exc
        return result

    async def head(self, name: str) -> ObjectInfo | None:
        try:
            answer = await self._call(
                "head",
                name,
                self._client.head_object,
                Bucket=self.bucket,
                Key=self._key(name),
                ChecksumMode="ENABLED",
            )
        except ObjectMissing:
            return None
        except ClientError as exc:
            raise self._failed("head", name, exc) from exc
        modified = answer.get("LastModified")
        return ObjectInfo(
            name=name,
            size=int(answer["ContentLength"]),
            etag=str(answer["ETag"]),
            modified=modified.astimezone(UTC) if isinstance(modified, datetime) else None,
            sha256=_sha256_hex(answer.get("ChecksumSHA256")),
        )

    async def list(self, prefix: str = "") -> AsyncIterator[ObjectInfo]:
        request: dict[str, Any] = {"Bucket": self.bucket, "Prefix": self.prefix + prefix}
        while True:
            try:
                page = await self._call(
                    "list", prefix or "/", self._client.list_objects_v2, **request
                )
            except ClientError as exc:
                raise self._failed("list", prefix or "/", exc) from exc
            for item in page.get("Contents", []):
                name = str(item["Key"])[len(self.prefix) :]
                yield ObjectInfo(name=name, size=int(item["Size"]), etag=item.get("ETag"))
            if not page.get("IsTruncated"):
                return
            request["ContinuationToken"] = page["NextContinuationToken"]

    async def delete(self, name: str) -> None:
        """Remove `name` for good: on a versioned bucket every version of it, so that prune
        frees space; a version under retention makes this raise ObjectLocked."""
        key = self._key(name)
        try:
            if not await self._bucket_versioned():
                await self._call(
                    "delete", name, self._client.delete_object, Bucket=self.bucket, Key=key
                )
                return
            for version in await self._versions(name, key):
                await self._delete_version(name, key, version)
        except ClientError as exc:
            raise self._failed("delete", name, exc) from exc

    async def _bucket_versioned(self) -> bool:
        if self._versioned is None:
            answer = await self._call(
                "versioning", "/", self._client.get_bucket_versioning, Bucket=self.bucket
            )
            self._versioned = answer.get("Status") in ("Enabled", "Suspended")
        return self._versioned

    async def _versions(self, name: str, key: str) -> tuple[str, ...]:
        request: dict[str, Any] = {"Bucket": self.bucket, "Prefix": key}
        found: list[str] = []
        while True:
            page = await self._call("delete", name, self._client.list_object_versions, **request)
            for entry in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]:
                if entry["Key"] == key:
                    found.append(str(entry["VersionId"]))
            if not page.get("IsTruncated"):
                return tuple(found)
            request["KeyMarker"] = page["NextKeyMarker"]
            request["VersionIdMarker"] = page["NextVersionIdMarker"]

    async def _delete_version(self, name: str, key: str, version: str) -> None:
        try:
            await self._call(
                "delete",
                name,
                self._client.delete_object,
                Bucket=self.bucket,
                Key=key,
                VersionId=version,
            )
        except ClientError as exc:
            if _code(exc) != "AccessDenied":
                raise
            until = await self._retained_until(name, key, version)
            if until is None:
                raise
            raise ObjectLocked(
                f"cannot delete {name} in {self._where}: locked until {until.isoformat()}"
            ) from exc

    async def _retained_until(self, name: str, key: str, version: str) -> datetime | None:
        try:
            answer = await self._call(
                "retention",
                name,
                self._client.get_object_retention,
                Bucket=self.bucket,
                Key=key,
                VersionId=version,
            )
        except (ClientError, ObjectMissing):
            return None
        until = answer.get("Retention", {}).get("RetainUntilDate")
        return until if isinstance(until, datetime) and until > datetime.now(UTC) else None

    async def lock_until(self, name: str, until: datetime) -> None:
        if until.tzinfo is None:
            raise ValueError("lock_until needs a timezone-aware datetime")
        key = self._key(name)
        try:
            # lock the version that is current now, not whatever a racing put makes current
            head = await self._call(
                "lock", name, self._client.head_object, Bucket=self.bucket, Key=key
            )
            version = {"VersionId": head["VersionId"]} if head.get("VersionId") else {}
            await self._call(
                "lock",
                name,
                self._client.put_object_retention,
                Bucket=self.bucket,
                Key=key,
                **version,
                Retention={"Mode": "COMPLIANCE", "RetainUntilDate": until},
            )
        except ClientError as exc:
            if _code(exc) == "AccessDenied":
                raise ObjectLocked(
                    f"cannot lock {name} in {self._where} until {until.isoformat()}: "
                    "refused (a longer lock cannot be shortened)"
                ) from exc
            if _code(exc) in ("InvalidRequest", "InvalidBucketState"):
                raise TargetError(
                    f"cannot lock {name}: bucket {self.bucket} was not created with Object Lock"
                ) from exc
            raise self._failed("lock", name, exc) from exc

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        await asyncio.get_running_loop().run_in_executor(self._pool, self._client.close)
        self._pool.shutdown(wait=True)
