"""Blobs in a backup target (an S3 bucket when the store is scaled out, or any Target).

Objects are `blobs/ab/<sha>.zst`: zstd-compressed bytes of the blob whose SHA-256 is `<sha>`,
checked on every read exactly as the local store does.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

from backups.errors import ObjectMissing, TargetError
from backups.targets.base import Target
from syncd.errors import BlobMissing, StoreError
from syncd.store.blobs import StoredBlob, blob_id, compress, decompress_verified

_PREFIX = "blobs/"
_NAME = re.compile(r"blobs/[0-9a-f]{2}/([0-9a-f]{64})\.zst")
_SHA = re.compile(r"[0-9a-f]{64}")


def blob_key(sha: str) -> str:
    if not _SHA.fullmatch(sha):
        raise ValueError(f"not a blob id: {sha!r}")
    return f"{_PREFIX}{sha[:2]}/{sha}.zst"


class S3BlobStore:
    """Implements `syncd.store.blobs.BlobStore` on a Target; owns it (close() closes it)."""

    def __init__(self, target: Target) -> None:
        self.target = target

    async def put(self, data: bytes) -> str:
        sha = blob_id(data)
        key = blob_key(sha)
        try:
            # content-addressed: an existing object already holds these bytes, and a HEAD is
            # much cheaper than uploading an image or a document again
            if await self.target.head(key) is None:
                await self.target.put(key, compress(data))
        except TargetError as exc:
            raise StoreError(f"cannot store blob {sha}: {exc}") from exc
        return sha

    async def get(self, sha: str) -> bytes:
        try:
            stored = await self.target.get(blob_key(sha))
        except ObjectMissing as exc:
            raise BlobMissing(f"blob {sha} is missing") from exc
        except TargetError as exc:
            raise StoreError(f"cannot read blob {sha}: {exc}") from exc
        return decompress_verified(sha, stored)

    async def has(self, sha: str) -> bool:
        try:
            return await self.target.head(blob_key(sha)) is not None
        except TargetError as exc:
            raise StoreError(f"cannot look up blob {sha}: {exc}") from exc

    async def ids(self) -> AsyncIterator[str]:
        try:
            async for info in self.target.list(_PREFIX):
                match = _NAME.fullmatch(info.name)
                if match:
                    yield match.group(1)
        except TargetError as exc:
            raise StoreError(f"cannot list blobs: {exc}") from exc

    async def stat(self, sha: str) -> StoredBlob | None:
        try:
            found = await self.target.head(blob_key(sha))
        except TargetError as exc:
            raise StoreError(f"cannot look up blob {sha}: {exc}") from exc
        return None if found is None else StoredBlob(found.size, found.modified)

    async def delete(self, sha: str) -> None:
        try:
            await self.target.delete(blob_key(sha))
        except TargetError as exc:
            raise StoreError(f"cannot delete blob {sha}: {exc}") from exc

    async def close(self) -> None:
        await self.target.close()
