"""Revision documents held in the database, and the store's view of all blobs.

A revision's canonical JSON document (a few KB) used to be a blob file of its own: a temp
file, its fsync, a rename and the folder's fsync cost more CPU than everything else a page
needs. Instead it is written zstd-compressed into the `documents` table, in the revision's
own transaction, whose (group) commit already pays the fsync. The blob keeps its row in
`blobs` like any other, so backups, restores and reachability see no difference.

Reads go through `StoreBlobs`, which looks in `documents` first and then in the blob store
(a folder or S3): documents written before migration 0002, restored ones (a restore writes
every blob as a file), media and files live there.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Sequence

import zstandard
from sqlalchemy import LargeBinary, String, bindparam, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from syncd.store import schema as t
from syncd.store.blobs import BlobStore, decompress_verified

# At a few KB, level 9 compresses page documents no smaller than 3 (within 0.5 %) and costs
# three to four times as much CPU; both are plain zstd frames, read by decompress_verified.
_LEVEL = 3
# Rows per query when many documents are read at once (a backup's upload): well under
# SQLite's bound-parameter limit, and ~1 MB of compressed documents in memory.
_MANY = 400

# Concurrent writers of one document (the same page on two items) leave the first row.
INSERT_DOCUMENT = text(
    "INSERT INTO documents (sha, data) VALUES (:sha, :data) ON CONFLICT (sha) DO NOTHING"
).bindparams(bindparam("sha", type_=String()), bindparam("data", type_=LargeBinary()))

_ONE = select(t.documents.c.data).where(t.documents.c.sha == bindparam("sha"))
_HAS = select(t.documents.c.sha).where(t.documents.c.sha == bindparam("sha"))

_compressors = threading.local()


def compress_document(body: bytes) -> bytes:
    """zstd-compress a document. Compressor objects are reused, and are not thread-safe:
    one per thread (the SQLite writer thread, or the event loop's on PostgreSQL)."""
    compressor: zstandard.ZstdCompressor | None = getattr(_compressors, "zstd", None)
    if compressor is None:
        compressor = _compressors.zstd = zstandard.ZstdCompressor(level=_LEVEL)
    return compressor.compress(body)


class StoreBlobs:
    """Implements `BlobStore` over the `documents` table and a blob store (`files`).

    `put` writes to `files`: only `Store.record` writes documents, inside its transaction.
    """

    def __init__(self, engine: AsyncEngine, files: BlobStore) -> None:
        self.engine = engine
        self.files = files

    async def put(self, data: bytes) -> str:
        return await self.files.put(data)

    async def get(self, sha: str) -> bytes:
        async with self.engine.connect() as conn:
            stored = (await conn.execute(_ONE, {"sha": sha})).scalar_one_or_none()
        if stored is None:
            return await self.files.get(sha)
        return decompress_verified(sha, stored)

    async def stored_documents(self, shas: Sequence[str]) -> dict[str, bytes]:
        """The compressed bytes of those of `shas` held in `documents`, in a few queries
        (not verified: give each to decompress_verified). Absent ones are files, if any."""
        found: dict[str, bytes] = {}
        unique = list(dict.fromkeys(shas))
        async with self.engine.connect() as conn:
            for start in range(0, len(unique), _MANY):
                part = unique[start : start + _MANY]
                query = select(t.documents.c.sha, t.documents.c.data).where(
                    t.documents.c.sha.in_(part)
                )
                for sha, data in (await conn.execute(query)).all():
                    found[sha] = data
        return found

    async def get_many(self, shas: Sequence[str]) -> dict[str, bytes]:
        """Each of `shas`, verified: the documents in a few queries, the rest one by one from
        the blob store (an export reads a hundred documents at a time)."""
        found = {
            sha: decompress_verified(sha, data)
            for sha, data in (await self.stored_documents(shas)).items()
        }
        for sha in dict.fromkeys(shas):
            if sha not in found:
                found[sha] = await self.files.get(sha)
        return found

    async def has(self, sha: str) -> bool:
        async with self.engine.connect() as conn:
            if (await conn.execute(_HAS, {"sha": sha})).first() is not None:
                return True
        return await self.files.has(sha)

    async def ids(self) -> AsyncIterator[str]:
        """Every blob id once, in order: the documents' merged with the files'."""
        async with self.engine.connect() as conn:
            query = select(t.documents.c.sha).order_by(t.documents.c.sha)
            inline = list((await conn.execute(query)).scalars())
        at = 0
        async for sha in self.files.ids():
            while at < len(inline) and inline[at] < sha:
                yield inline[at]
                at += 1
            if at < len(inline) and inline[at] == sha:
                at += 1  # a document restored as a file and recorded again: once
            yield sha
        for sha in inline[at:]:
            yield sha

    async def close(self) -> None:
        await self.files.close()
