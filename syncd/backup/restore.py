"""Restoring a snapshot into an empty store, reading past damage and saying what was lost.

Blobs are written before any row (the store's own rule: a row never points at nothing that
could have been there), then every row goes in one transaction in foreign-key order. Objects
the repository cannot give back are asked of a fallback repository (a second target) by the
same id: blob ids are content hashes, so they match across repositories.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import zstandard
from sqlalchemy import func, insert, select, text

from backups.repository import Repository, Snapshot
from syncd.backup.deltas import Delta, apply_delta, decode_map, map_chunks
from syncd.backup.dump import BACKED_UP_TABLES
from syncd.backup.errors import NoSuchSnapshot, StoreNotEmpty
from syncd.backup.rows import Chunk, decode_chunk
from syncd.backup.scope import (
    PARTIAL_TABLES,
    LostRevision,
    Rows,
    Scope,
    revisions_using,
    select_rows,
)
from syncd.errors import StoreError
from syncd.store import schema as t
from syncd.store.blobs import LocalBlobStore
from syncd.store.identity import adopt_store_id
from syncd.store.store import Store, utcnow

Progress = Callable[[str, int, int], None]
_BATCH = 500
_WRITERS = 6
# Bulk blob writes go to a thread in batches: at most _BATCHES in flight and one filling, so
# about three times _BATCH_BYTES of blob data is held at once.
_BATCHES = 2
_BATCH_BYTES = 4 * 1024 * 1024
_BATCH_BLOBS = 256


@dataclass
class RestoreReport:
    snapshot: str
    rows: dict[str, int] = field(default_factory=dict)
    blobs: int = 0
    from_fallback: int = 0
    lost: list[LostRevision] = field(default_factory=list)
    lost_chunks: list[str] = field(default_factory=list)  # "table/key" of rows lost outright
    lost_blobs: list[str] = field(default_factory=list)  # lost blobs no kept revision uses

    @property
    def complete(self) -> bool:
        return not (self.lost or self.lost_chunks or self.lost_blobs)

    def lines(self) -> list[str]:
        out = [f"lost: {r.describe()}" for r in self.lost]
        out += [f"lost: rows of {c} (both copies unreadable)" for c in self.lost_chunks]
        out += [f"lost: blob {b} (used by no restored revision)" for b in self.lost_blobs]
        return out


def _quiet(_stage: str, _done: int, _total: int) -> None:
    return None


async def find_snapshot(repo: Repository, name: str) -> Snapshot:
    snapshots = await repo.list_snapshots()
    if name == "latest":
        if not snapshots:
            raise NoSuchSnapshot("the repository holds no snapshot yet")
        return snapshots[0]
    for snap in snapshots:
        if name in (snap.id, snap.manifest):
            return snap
    raise NoSuchSnapshot(f"no snapshot {name!r} in the repository (see `syncd backup list`)")


class _Source:
    """Reads objects from the repository, then from the fallback for whatever failed."""

    def __init__(self, repo: Repository, fallback: Repository | None) -> None:
        self.repo, self.fallback = repo, fallback
        self.from_fallback = 0

    async def stream(self, ids: Iterable[str]) -> AsyncIterator[tuple[str, bytes | None]]:
        """Each object once, pack by pack: its bytes, or None when neither side has it."""
        failed: list[str] = []
        async for oid, res in self.repo.read_many(ids):
            if isinstance(res, bytes):
                yield oid, res
            else:
                failed.append(oid)
        if self.fallback is None:
            for oid in failed:
                yield oid, None
            return
        async for oid, res in self.fallback.read_many(failed):
            if isinstance(res, bytes) and hashlib.sha256(res).hexdigest() == oid:
                self.from_fallback += 1
                yield oid, res
            else:
                yield oid, None

    async def read_all(self, ids: Iterable[str]) -> dict[str, bytes]:
        return {oid: data async for oid, data in self.stream(ids) if data is not None}


async def _read_rows(source: _Source, snap: Snapshot, scope: Scope, report: RestoreReport) -> Rows:
    tables = {tb.name: tb for tb in BACKED_UP_TABLES}
    wanted = set(tables) if scope.whole else set(PARTIAL_TABLES)
    copies: dict[tuple[str, str], list[str]] = {}
    for name, oid in snap.tree.items():
        parts = name.split("/")
        if len(parts) == 4 and parts[0] == "db" and parts[2] in wanted:
            copies.setdefault((parts[2], parts[3]), []).append(oid)
    firsts = [ids[0] for ids in copies.values()]
    got = await source.read_all(firsts)
    seconds = [ids[1] for ids in copies.values() if ids[0] not in got and len(ids) > 1]
    if seconds:
        got.update(await source.read_all(seconds))
    rows: Rows = {}
    for (table, key), ids in sorted(copies.items()):
        body = next((got[i] for i in ids if i in got), None)
        if body is None:
            report.lost_chunks.append(f"{table}/{key}")
            continue
        chunk: Chunk = decode_chunk(body, tables)
        rows.setdefault(table, []).extend(chunk.rows)
    return rows


async def _check_empty(store: Store) -> None:
    async with store.engine.connect() as conn:
        for table in (t.sites, t.items, t.blobs):
            if (await conn.execute(select(func.count()).select_from(table))).scalar_one():
                raise StoreNotEmpty(
                    "the store to restore into already holds data; give an empty one"
                )


async def restore_snapshot(
    repo: Repository,
    snapshot: str,
    store: Store,
    scope: Scope | None = None,
    *,
    fallback: Repository | None = None,
    progress: Progress = _quiet,
) -> RestoreReport:
    """Restore `snapshot` ("latest", an id or a manifest name) into the empty `store`."""
    scope = scope or Scope()
    snap = await find_snapshot(repo, snapshot)
    await _check_empty(store)
    if snap.detached:
        await repo.read_indexes_of(snap)
    report = RestoreReport(snap.id)
    source = _Source(repo, fallback)
    progress("database", 0, 0)
    rows = await _read_rows(source, snap, scope, report)
    selection = select_rows(rows, scope)
    report.lost += selection.lost
    deltas = await _delta_map(source, snap.tree)
    lost_shas = await _restore_blobs(
        source, store, selection.needed_blobs, selection.rows, deltas, progress
    )
    report.blobs = len(selection.needed_blobs) - len(lost_shas)
    report.from_fallback = source.from_fallback
    used = revisions_using(selection.rows, lost_shas)
    report.lost = sorted(set(report.lost) | set(used))
    referenced = {r["content_sha"] for r in selection.rows["revisions"]}
    referenced |= {rb["sha"] for rb in selection.rows["revision_blobs"]}
    report.lost_blobs = sorted(lost_shas - referenced)
    # A link to a blob that has neither row nor bytes left cannot satisfy its foreign key.
    have = {b["sha"] for b in selection.rows["blobs"]}
    selection.rows["revision_blobs"] = [
        rb for rb in selection.rows["revision_blobs"] if rb["sha"] in have
    ]
    progress("rows", 0, 0)
    report.rows = await _insert_rows(store, selection.rows)
    if scope.whole and snap.store is not None:
        await adopt_store_id(store.engine, snap.store)  # the restored store continues it
    return report


async def _delta_map(source: _Source, tree: dict[str, str]) -> dict[str, Delta]:
    chunks = map_chunks(tree)
    got = await source.read_all([ids[0] for ids in chunks])
    got.update(await source.read_all([ids[1] for ids in chunks if ids[0] not in got]))
    deltas: dict[str, Delta] = {}
    for ids in chunks:
        body = next((got[i] for i in ids if i in got), None)
        if body is not None:
            deltas.update(decode_map(body))
    return deltas


class _BlobWriter:
    """Blob writes in worker threads, a few at once.

    Into a local blob folder the writes go in bulk mode (fast level, no fsync per file), in
    batches of about `_BATCH_BYTES` per thread hand-off, and `drain` syncs them all at once:
    the folder starts empty, rows naming the blobs are only committed after that sync, and a
    restore that fails half-way is simply run again. Other blob stores keep their usual
    durable put, one blob per task.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self.bulk = store.files if isinstance(store.files, LocalBlobStore) else None
        self.writing: set[asyncio.Future[Any]] = set()
        self.batch: list[tuple[bytes, str]] = []
        self.batch_bytes = 0

    async def put(self, data: bytes, sha: str) -> None:
        """Write `data`, whose SHA-256 the caller has checked to be `sha`."""
        if self.bulk is None:
            await self._start(self.store.files.put(data), _WRITERS)
            return
        self.batch.append((data, sha))
        self.batch_bytes += len(data)
        if self.batch_bytes >= _BATCH_BYTES or len(self.batch) >= _BATCH_BLOBS:
            await self._send_batch()

    async def _send_batch(self) -> None:
        if self.bulk is not None and self.batch:
            batch, self.batch, self.batch_bytes = self.batch, [], 0
            await self._start(self.bulk.put_bulk_many(batch), _BATCHES)

    async def _start(self, write: Awaitable[Any], limit: int) -> None:
        self.writing.add(asyncio.ensure_future(write))
        if len(self.writing) >= limit:
            finished, self.writing = await asyncio.wait(
                self.writing, return_when=asyncio.FIRST_COMPLETED
            )
            for task in finished:
                task.result()

    async def drain_writes(self) -> None:
        await self._send_batch()
        if self.writing:
            await asyncio.gather(*self.writing)
        self.writing = set()

    async def drain(self) -> None:
        """Every write finished and durable."""
        await self.drain_writes()
        if self.bulk is not None:
            await self.bulk.sync_bulk()


async def _restore_blobs(
    source: _Source,
    store: Store,
    needed: set[str],
    rows: Rows,
    deltas: dict[str, Delta],
    progress: Progress,
) -> set[str]:
    """Write every readable needed blob into the store's blob files; the lost ones.

    Revision documents too: the store reads a document from its files when the `documents`
    table does not hold it, and bulk files need no transaction (nor a copy in the database).

    Whole objects stream pack by pack (one pack in memory at a time); pages stored as deltas
    are rebuilt afterwards, shallowest first, from bases already written."""
    wanted = set(needed)
    for sha in needed:  # a delta needs its whole chain of bases
        while sha in deltas:
            sha = deltas[sha].base
            wanted.add(sha)
    whole = sorted(s for s in wanted if s not in deltas)
    by_delta = {deltas[s].delta: s for s in wanted if s in deltas}
    known = {b["sha"] for b in rows["blobs"]}
    lost: set[str] = set()
    patches: dict[str, bytes] = {}
    writer = _BlobWriter(store)
    done = 0
    async for oid, data in source.stream([*whole, *sorted(by_delta)]):
        sha = by_delta.get(oid, oid)
        if data is None:
            lost.add(sha)
        elif oid in by_delta:
            patches[sha] = data
        else:
            await writer.put(data, sha)  # the reader checked the object hashes to its id
            done += 1
            progress("blobs", done, len(wanted))
    await writer.drain_writes()
    for sha in sorted(patches, key=lambda s: deltas[s].depth):
        base = deltas[sha].base
        try:
            data = apply_delta(await store.files.get(base), patches[sha])
        except (StoreError, zstandard.ZstdError):
            lost.add(sha)
            continue
        if hashlib.sha256(data).hexdigest() != sha:
            lost.add(sha)
            continue
        # Deeper deltas read their bases back from the folder, which sees unsynced writes.
        await writer.put(data, sha)
        await writer.drain_writes()
        done += 1
        progress("blobs", done, len(wanted))
    await writer.drain()
    for sha in sorted(needed - lost - known):
        # The blobs table chunk was lost but the blob was not: rebuild its row.
        data = await store.files.get(sha)
        rows["blobs"].append(
            {"sha": sha, "size": len(data), "content_type": None, "created_at": utcnow()}
        )
    return lost & needed


async def _insert_rows(store: Store, rows: Rows) -> dict[str, int]:
    counts: dict[str, int] = {}
    async with store.engine.begin() as conn:
        for table in BACKED_UP_TABLES:
            table_rows = rows.get(table.name, [])
            for start in range(0, len(table_rows), _BATCH):
                await conn.execute(insert(table), table_rows[start : start + _BATCH])
            counts[table.name] = len(table_rows)
        if conn.dialect.name == "postgresql":
            # Rows came with their ids: move each id sequence past them for later inserts.
            for table in BACKED_UP_TABLES:
                pk = list(table.primary_key.columns)
                if len(pk) == 1 and pk[0].autoincrement is True:
                    name = table.name
                    await conn.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{name}', '{pk[0].name}'), "
                            f"COALESCE((SELECT MAX({pk[0].name}) FROM {name}), 1), "
                            f"(SELECT MAX({pk[0].name}) FROM {name}) IS NOT NULL)"
                        )
                    )
    return counts
