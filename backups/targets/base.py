"""The interface every storage target implements (a local folder, an S3 bucket, ...).

Names are slash-separated relative keys ("data/ab/abcd..."). Targets are dumb: they move
bytes. Integrity, encryption and packing belong to the repository on top of them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Protocol


@dataclass(frozen=True)
class ObjectInfo:
    name: str
    size: int
    etag: str | None = None
    # when the object was last written, where the target says (head): pruning by age needs it
    modified: datetime | None = None
    # SHA-256 (hex) of the content, where the target keeps one (head): a local folder hashes
    # the file, S3 reports the checksum stored at upload. Packs are named by it.
    sha256: str | None = None


# What `put` takes: bytes, any bytes-like buffer (written without a copy of it), or a binary
# file, read from its current position to its end (a pack spooled to a temporary file is
# streamed to the target, never held whole in memory). A file must be seekable, so that a
# retried upload can start over.
PutData = bytes | bytearray | memoryview | IO[bytes]


class Target(Protocol):
    async def put(self, name: str, data: PutData) -> None:
        """Store `data` under `name`, durably, replacing nothing silently on retry.

        The caller keeps `data` unchanged until the call returns."""

    async def put_if_absent(self, name: str, data: bytes) -> None:
        """Create `name` only if it does not exist; raise PreconditionFailed otherwise."""

    async def put_if_match(self, name: str, data: bytes, etag: str | None) -> str:
        """Replace `name` only if its current etag is `etag` (None: only if absent).

        Returns the new etag; raises PreconditionFailed when another writer won.
        """

    async def get(self, name: str) -> bytes:
        """Return the bytes; raise ObjectMissing when absent."""

    async def get_with_etag(self, name: str) -> tuple[bytes, str]: ...

    async def digest(self, name: str) -> tuple[int, str]:
        """Size and SHA-256 (hex) of `name`, read piece by piece, never held whole;
        raise ObjectMissing when absent."""

    async def head(self, name: str) -> ObjectInfo | None: ...

    def list(self, prefix: str = "") -> AsyncIterator[ObjectInfo]: ...

    async def delete(self, name: str) -> None: ...

    async def lock_until(self, name: str, until: datetime) -> None:
        """Keep `name` undeletable until `until` (S3 Object Lock, compliance mode)."""

    async def close(self) -> None: ...
