"""Content-addressed blob storage: the interface and the local-folder implementation.

A blob is named by the SHA-256 of its raw bytes. Backends store it zstd-compressed and
verify the hash on every read, so silent corruption is reported, never returned.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import zstandard

from backups.compress import is_precompressed
from syncd.errors import BlobCorrupt, BlobMissing

_LEVEL = 9
# Restores write every blob once into an empty folder; a fast level keeps them disk-bound.
BULK_LEVEL = 1


def blob_id(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def compress(data: bytes, level: int = _LEVEL) -> bytes:
    # JPEG, PNG, PDF, zip, ... do not shrink: the fastest level only wraps them in a frame
    if is_precompressed(data):
        level = 1
    return zstandard.ZstdCompressor(level=level).compress(data)


def decompress_verified(sha: str, stored: bytes) -> bytes:
    """Decompress and check the hash; a mismatch is corruption, never silently returned."""
    try:
        data = zstandard.ZstdDecompressor().decompress(stored)
    except zstandard.ZstdError as exc:
        raise BlobCorrupt(f"blob {sha}: cannot decompress ({exc})") from exc
    if blob_id(data) != sha:
        raise BlobCorrupt(f"blob {sha}: content does not match its hash")
    return data


@dataclass(frozen=True)
class StoredBlob:
    """What a backend knows of one stored blob without reading it."""

    size: int  # bytes as stored (compressed)
    modified: datetime | None  # when it was last written (UTC); None: the backend cannot tell


class BlobStore(Protocol):
    """What the store needs from a blob backend. `put` returns only once the blob is durable.

    `stat` and `delete` serve `syncd db check --prune-orphans` alone: blobs are otherwise
    never deleted (revisions are kept for ever), and an orphan (a blob no `blobs` row names,
    left by a crash between the blob's write and its row's commit) is deleted only once it
    is older than any write that could still be about to commit its row.
    """

    async def put(self, data: bytes) -> str: ...

    async def get(self, sha: str) -> bytes: ...

    async def has(self, sha: str) -> bool: ...

    def ids(self) -> AsyncIterator[str]: ...

    async def stat(self, sha: str) -> StoredBlob | None:
        """Size and time of last write of the stored blob; None when it is absent."""
        ...

    async def delete(self, sha: str) -> None:
        """Remove the blob; an absent one is not an error."""
        ...

    async def close(self) -> None: ...


class LocalBlobStore:
    """Blobs in a folder, one level of fan-out: ab/abcd....zst.

    One level, not two: in a new store nearly every blob of a two-level layout also created
    its own folder, and creating inodes is most of what a blob write costs (a mirror's first
    pass, a restore). 256 folders hold millions of files well on ext4 and XFS. Stores written
    with the earlier two-level layout (ab/cd/abcd....zst) are still read.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def _path(self, sha: str) -> Path:
        return self.root / sha[:2] / f"{sha}.zst"

    def _legacy_path(self, sha: str) -> Path:
        return self.root / sha[:2] / sha[2:4] / f"{sha}.zst"

    async def put(self, data: bytes) -> str:
        # hashed on the thread too: images and files are large, and hashlib lets go of the GIL
        return await asyncio.to_thread(self._put_sync, data)

    def _put_sync(self, data: bytes) -> str:
        sha = blob_id(data)
        path = self._path(sha)
        for held in (path, self._legacy_path(sha)):
            try:
                # Reused, the file counts as written now: `db check --prune-orphans` keeps
                # files younger than its grace period, and an orphan left by a crash is
                # usually adopted by the next pass fetching the same file.
                os.utime(held)
                return sha
            except FileNotFoundError:
                continue
        path.parent.mkdir(parents=True, exist_ok=True)
        # temp file in the same folder, fsync, rename, fsync the folder: a crash leaves
        # either no blob or a whole one, never a torn file under the final name.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(compress(data))
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        return sha

    async def put_bulk(self, data: bytes, sha: str | None = None) -> str:
        """Write a blob with no fsync and a fast level: for filling an empty store (restore).

        Crash-safe only together with `sync_bulk`, which the caller runs before any row that
        names these blobs is committed. The file is always rewritten (temp file, rename), so
        a re-run after a crash replaces whatever a torn earlier attempt left behind. `sha`
        saves hashing again data the caller has just checked against it; a wrong one is
        caught like any damage, by the hash check of every read.
        """
        sha = sha or blob_id(data)
        await asyncio.to_thread(self._put_bulk_sync, sha, data)
        return sha

    async def put_bulk_many(self, blobs: list[tuple[bytes, str]]) -> None:
        """`put_bulk` for a batch of (data, sha) in one thread hand-off: a restore writes
        tens of thousands of blobs, and one hand-off each cost more than the writes."""
        await asyncio.to_thread(self._put_bulk_many_sync, blobs)

    def _put_bulk_many_sync(self, blobs: list[tuple[bytes, str]]) -> None:
        for data, sha in blobs:
            self._put_bulk_sync(sha, data)

    def _put_bulk_sync(self, sha: str, data: bytes) -> None:
        path = self._path(sha)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(compress(data, BULK_LEVEL))
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    async def sync_bulk(self) -> None:
        """Make every `put_bulk` so far durable: one flush of the file system for them all."""
        await asyncio.to_thread(os.sync)

    async def get(self, sha: str) -> bytes:
        return await asyncio.to_thread(self._get_sync, sha)

    def _get_sync(self, sha: str) -> bytes:
        try:
            stored = self._path(sha).read_bytes()
        except FileNotFoundError:
            try:
                stored = self._legacy_path(sha).read_bytes()
            except FileNotFoundError as exc:
                raise BlobMissing(f"blob {sha} is missing") from exc
        return decompress_verified(sha, stored)

    async def has(self, sha: str) -> bool:
        return self._path(sha).exists() or self._legacy_path(sha).exists()

    async def ids(self) -> AsyncIterator[str]:
        found = {p.name.removesuffix(".zst") for p in self.root.glob("*/*.zst")}
        found |= {p.name.removesuffix(".zst") for p in self.root.glob("*/*/*.zst")}
        for sha in sorted(found):
            yield sha

    async def stat(self, sha: str) -> StoredBlob | None:
        return await asyncio.to_thread(self._stat_sync, sha)

    def _stat_sync(self, sha: str) -> StoredBlob | None:
        for path in (self._path(sha), self._legacy_path(sha)):
            try:
                info = path.stat()
            except FileNotFoundError:
                continue
            return StoredBlob(info.st_size, datetime.fromtimestamp(info.st_mtime, UTC))
        return None

    async def delete(self, sha: str) -> None:
        await asyncio.to_thread(self._delete_sync, sha)

    def _delete_sync(self, sha: str) -> None:
        # No fsync of the folder: a deletion lost to a crash leaves the orphan, found again.
        for path in (self._path(sha), self._legacy_path(sha)):
            path.unlink(missing_ok=True)

    async def close(self) -> None:
        return None
