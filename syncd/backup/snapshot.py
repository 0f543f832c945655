"""Turning the store into a snapshot in a backup repository, then checking what was written.

Order: the database dump's first copy (flushed into a pack of its own), the blobs the
repository lacks (decided from the store's blobs table and `repo.has`, never a scan), the
dump's second copy, then the commit. Page documents are grouped per site so the repository
trains one zstd dictionary per site; media goes ungrouped (the repository stores already
compressed media as it is).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import zstandard

from backups.errors import BackupError, ObjectMissing, PreconditionFailed
from backups.packs import pack_path
from backups.reindex import forget_lost_packs
from backups.repository import Repository
from syncd.backup.deltas import (
    DELTA_TABLE,
    MAX_DEPTH,
    Delta,
    decode_map,
    encode_map,
    make_delta,
    map_chunks,
)
from syncd.backup.dump import (
    BACKED_UP_TABLES,
    BlobRow,
    alembic_revision,
    blob_rows,
    blob_sites,
    dump_tables,
    previous_documents,
    read_snapshot,
)
from syncd.backup.fingerprint import table_fingerprint
from syncd.backup.ownership import check_owner
from syncd.backup.reuse import BLOB_TABLES, held_blob_entries, previous_snapshot, reusable_table
from syncd.backup.rows import BLOBS_ENTRY, meta_name, recopy, tree_name
from syncd.errors import StoreError
from syncd.store.blobs import decompress_verified
from syncd.store.identity import store_id
from syncd.store.store import Store

Progress = Callable[[str, int, int], None]
FORMAT = 2  # 2: the meta copies carry table fingerprints
_PREFETCH = 8  # blobs read ahead of the repository writer
# Blobs whose documents are read from the database in one query: the window's documents (and
# their delta bases) are held compressed until uploaded, so large pages make smaller windows.
_WINDOW = 256
_WINDOW_BYTES = 1 << 20
_REFS_PER_LIST = 1000


@dataclass
class BackupResult:
    snapshot: str
    chunks: int = 0
    chunks_added: int = 0
    blobs: int = 0
    blobs_added: int = 0
    bytes_added: int = 0  # size of the new packs
    packs_checked: int = 0
    unreadable_blobs: list[str] = field(default_factory=list)
    seconds: float = 0.0
    # Objects of packs found missing or damaged at the start, and how many of them this
    # backup stored again (the rest the store no longer has, or no longer needs).
    lost_objects: int = 0
    healed_objects: int = 0

    def summary(self) -> dict[str, object]:
        return {
            "snapshot": self.snapshot,
            "chunks_added": self.chunks_added,
            "blobs_added": self.blobs_added,
            "bytes_added": self.bytes_added,
            "packs_checked": self.packs_checked,
            "unreadable_blobs": self.unreadable_blobs[:20],
            "lost_objects": self.lost_objects,
            "healed_objects": self.healed_objects,
        }


class NewObjectsDamaged(BackupError):
    """A pack written by this backup does not read back as written."""


class _Held:
    """The dump's second copies, held from the dump to the end of the backup.

    They wait through the whole blob upload (the copies must land in other packs than the
    first ones), which for a large store is minutes and ~10 MB of JSON rows per GB of
    content; held zstd-compressed (level 1: 0.24 of the size on the reference corpus).
    """

    def __init__(self) -> None:
        self._compressor = zstandard.ZstdCompressor(level=1)
        self._items: list[tuple[str, bytes]] = []

    def add(self, name: str, body: bytes) -> None:
        self._items.append((name, self._compressor.compress(body)))

    def take(self) -> Iterator[tuple[str, bytes]]:
        items, self._items = self._items, []
        decompressor = zstandard.ZstdDecompressor()
        items.reverse()
        while items:
            name, packed = items.pop()
            yield name, decompressor.decompress(packed)


def _quiet(_stage: str, _done: int, _total: int) -> None:
    return None


def _sites_of(new: list[BlobRow], sites: dict[str, str]) -> dict[str, str]:
    """The sites of the new blobs only, keyed by the rows' own id strings, one string per
    site: this is held for the whole upload (the query's answer, for every blob with its own
    strings, is ~9 MB at 1 GB of content)."""
    names: dict[str, str] = {}
    return {
        row.sha: names.setdefault(site, site)
        for row in new
        if (site := sites.get(row.sha)) is not None
    }


def _upload_order(sites: dict[str, str]) -> Callable[[BlobRow], tuple[str, bool]]:
    """Site by site, each site's pages (its dictionary group) before its media."""

    def key(row: BlobRow) -> tuple[str, bool]:
        site = sites.get(row.sha)
        return site or "", _group_for(row, site) is None

    return key


def _group_for(row: BlobRow, site: str | None) -> str | None:
    textual = row.content_type is None or row.content_type.startswith(("application/json", "text/"))
    if not textual:
        return None
    return f"site:{site}" if site else "misc"


async def _add_copy(repo: Repository, body: bytes) -> tuple[str, bool]:
    oid = hashlib.sha256(body).hexdigest()
    return oid, await repo.add(oid, body, "db")


async def run_backup(
    store: Store,
    repo: Repository,
    *,
    tags: Sequence[str] = (),
    progress: Progress = _quiet,
    allow_other_store: bool = False,
) -> BackupResult:
    started = time.monotonic()
    owner = await store_id(store.engine)
    check_owner(await repo.list_snapshots(), owner, allow_other=allow_other_store)
    # Whatever a lost or damaged pack held leaves the index first, so every decision below
    # (`repo.has`, reuse of the previous snapshot) sees it as absent and stores it again.
    healing = await forget_lost_packs(repo)
    packs_before = set(repo.index.pack_sizes())
    prev = await previous_snapshot(repo)
    tree: dict[str, str] = {}
    copies_b = _Held()
    result = BackupResult(snapshot="")
    # Checking the previous list of held blobs against the index is Python work on this
    # thread, the fingerprints are the database's work on its own: overlap them. The check is
    # dropped as soon as a table that decides the blobs turns out changed.
    held_check = asyncio.ensure_future(held_blob_entries(repo, prev))
    try:
        async with read_snapshot(store.engine) as conn:
            tables: dict[str, dict[str, Any]] = {}
            unchanged: set[str] = set()
            for table in BACKED_UP_TABLES:
                fingerprint = await table_fingerprint(conn, table)
                tables[table.name] = {"chunks": [], "rows": 0, "fingerprint": fingerprint}
                reused = reusable_table(repo, prev, table.name, fingerprint)
                if reused is not None:
                    tree.update(reused.entries)
                    tables[table.name].update(chunks=reused.chunks, rows=reused.rows)
                    result.chunks += len(reused.chunks)
                    unchanged.add(table.name)
                elif table.name in BLOB_TABLES:
                    held_check.cancel()
            async for chunk in dump_tables(conn, skip=frozenset(unchanged)):
                oid, added = await _add_copy(repo, chunk.body)
                tree[tree_name("a", chunk.table, chunk.key)] = oid
                copies_b.add(tree_name("b", chunk.table, chunk.key), recopy(chunk.body, "b"))
                tables[chunk.table]["chunks"].append(chunk.key)
                tables[chunk.table]["rows"] += chunk.rows
                result.chunks += 1
                result.chunks_added += added
                progress("database", result.chunks, 0)
            meta = {
                "format": FORMAT,
                "alembic": await alembic_revision(conn),
                "time": datetime.now(UTC).isoformat(),
                "tables": tables,
            }
            kept = await held_check if set(BLOB_TABLES) <= unchanged else None
            if kept is not None:
                blobs: list[BlobRow] = []
                deltas: dict[str, Delta] = {}
                new: list[BlobRow] = []
                sites: dict[str, str] = {}
                bases: dict[str, str] = {}
            else:
                blobs = await blob_rows(conn)
                deltas = await _previous_deltas(repo, prev.tree)
                new = [b for b in blobs if not repo.has(b.sha) and b.sha not in deltas]
                sites = _sites_of(new, await blob_sites(conn)) if new else {}
                bases = await previous_documents(conn) if new else {}
    finally:
        held_check.cancel()
    tree[meta_name("a")], _ = await _add_copy(
        repo, json.dumps({**meta, "copy": "a"}, sort_keys=True).encode()
    )
    await repo.flush()  # the first copy of the dump sits in packs of its own
    held: list[str] | None = None
    if kept is not None:
        # Nothing that decides the blobs changed: the previous list and delta map stand.
        tree.update(kept)
        result.blobs = prev.blobs or 0
        blobs_complete: int | None = result.blobs
    else:
        result.blobs = len(blobs)
        new.sort(key=_upload_order(sites))
        uploader = _Uploader(store, repo, sites, bases, deltas, result)
        present = await uploader.upload(new, progress)
        for key, body in encode_map(deltas):
            tree[tree_name("a", DELTA_TABLE, key)], _ = await _add_copy(repo, body)
            copies_b.add(tree_name("b", DELTA_TABLE, key), recopy(body, "b"))
        held = [
            deltas[b.sha].delta if b.sha in deltas else b.sha
            for b in blobs
            if b.sha in present
            or b.sha in deltas
            or (b.sha not in result.unreadable_blobs and repo.has(b.sha))
        ]
        blobs_complete = None if result.unreadable_blobs else len(blobs)
        # The rows the upload worked from (~10 MB at 1 GB of content) go before the second
        # copies and the commit, whose index document is the backup's last large allocation.
        del uploader, present
    del blobs, new, sites, bases, deltas
    # The second meta copy also says whether every blob was stored, which the next backup
    # needs before it may take this snapshot's list of held blobs over.
    meta_b = {**meta, "copy": "b", "blobs_complete": blobs_complete}
    copies_b.add(meta_name("b"), json.dumps(meta_b, sort_keys=True).encode())
    await repo.flush()  # the second copies go to other packs than the first
    for name, body in copies_b.take():
        oid, added = await _add_copy(repo, body)
        tree[name] = oid
        result.chunks_added += added
    if held is not None:
        # With the second copies, in a small pack: the next backup reads these lists back.
        tree[BLOBS_ENTRY] = await _add_held(repo, held)
    progress("commit", 0, 0)
    result.snapshot = await _commit(repo, tree, tags, owner)
    result.lost_objects = len(healing.lost)
    result.healed_objects = sum(1 for oid in healing.lost if repo.has(oid))
    result.packs_checked, result.bytes_added = await check_new_packs(repo, packs_before)
    result.seconds = time.monotonic() - started
    return result


async def _add_held(repo: Repository, held: list[str]) -> str:
    """The held blobs as a list of lists, in the store's creation order: only the last lists
    change between snapshots, and the earlier ones deduplicate (prune follows the nesting)."""
    parts = [
        await repo.add_refs(held[start : start + _REFS_PER_LIST])
        for start in range(0, len(held), _REFS_PER_LIST)
    ]
    return await repo.add_refs(parts)


async def _previous_deltas(repo: Repository, tree: dict[str, str]) -> dict[str, Delta]:
    """The delta map of the newest snapshot (empty if none, or if both copies are lost: the
    blobs it described are then simply uploaded whole again)."""
    deltas: dict[str, Delta] = {}
    for ids in map_chunks(tree):
        # The second copy sits in a small pack of database copies; the first shares a pack
        # with blobs, and a read fetches the whole pack.
        for oid in reversed(ids):
            try:
                deltas.update(decode_map(await repo.read(oid)))
                break
            except BackupError:
                continue
    repo.reader.forget_cache()
    return {sha: d for sha, d in deltas.items() if repo.has(d.delta)}


class _Uploader:
    """Adds the blobs the repository lacks, a changed page as a delta where that pays."""

    def __init__(
        self,
        store: Store,
        repo: Repository,
        sites: dict[str, str],
        bases: dict[str, str],
        deltas: dict[str, Delta],
        result: BackupResult,
    ) -> None:
        self.store, self.repo, self.sites, self.bases = store, repo, sites, bases
        self.deltas, self.result = deltas, result

    async def upload(self, new: list[BlobRow], progress: Progress) -> set[str]:
        """Read blobs a few ahead (files decompress in threads), add them in order.

        Documents held in the database (and the previous revisions' documents that deltas are
        made against) are read a window of rows at a time, one query each, not one per blob."""
        present: set[str] = set()
        queue: asyncio.Queue[tuple[asyncio.Future[bytes], bytes | None] | None] = asyncio.Queue(
            _PREFETCH
        )

        async def feed() -> None:
            for window in _windows(new):
                bases = [b for row in window if (b := self.bases.get(row.sha)) is not None]
                held = await self.store.blobs.stored_documents([r.sha for r in window] + bases)
                for row in window:
                    stored = held.get(row.sha)
                    read = (
                        asyncio.ensure_future(self.store.files.get(row.sha))
                        if stored is None
                        else asyncio.ensure_future(_verified(row.sha, stored))
                    )
                    base = self.bases.get(row.sha)
                    await queue.put((read, held.get(base) if base is not None else None))
            await queue.put(None)

        feeder = asyncio.ensure_future(feed())
        try:
            for done, row in enumerate(new, start=1):
                next_read = await queue.get()
                assert next_read is not None
                task, stored_base = next_read
                try:
                    data = await task
                except StoreError:
                    # A blob the store itself lost cannot be backed up; say so, go on.
                    self.result.unreadable_blobs.append(row.sha)
                    continue
                if await self._add(row, data, stored_base):
                    self.result.blobs_added += 1
                if row.sha not in self.deltas:
                    present.add(row.sha)
                progress("blobs", done, len(new))
        finally:
            feeder.cancel()
            while not queue.empty():
                pending = queue.get_nowait()
                if pending is not None:
                    pending[0].cancel()
        return present

    async def _add(self, row: BlobRow, data: bytes, stored_base: bytes | None) -> bool:
        group = _group_for(row, self.sites.get(row.sha))
        base = self.bases.get(row.sha)
        if group is not None and base is not None:
            delta = await self._delta(base, data, stored_base)
            if delta is not None:
                oid = hashlib.sha256(delta[0]).hexdigest()
                self.deltas[row.sha] = Delta(oid, base, delta[1])
                return await self.repo.add(oid, delta[0], "delta")
        return await self.repo.add(row.sha, data, "blob", group)

    async def _delta(
        self, base: str, data: bytes, stored_base: bytes | None
    ) -> tuple[bytes, int] | None:
        """`stored_base`: the base's compressed bytes when the database holds it."""
        depth = self.deltas[base].depth + 1 if base in self.deltas else 1
        if depth > MAX_DEPTH or not (base in self.deltas or self.repo.has(base)):
            return None
        try:
            if stored_base is None:
                base_data = await self.store.files.get(base)
            else:
                base_data = decompress_verified(base, stored_base)
        except StoreError:
            return None
        delta = make_delta(base_data, data)
        return (delta, depth) if delta is not None else None


def _windows(rows: list[BlobRow]) -> Iterator[list[BlobRow]]:
    """Consecutive rows, at most _WINDOW of them or about _WINDOW_BYTES of content each."""
    window: list[BlobRow] = []
    size = 0
    for row in rows:
        window.append(row)
        size += row.size
        if len(window) >= _WINDOW or size >= _WINDOW_BYTES:
            yield window
            window, size = [], 0
    if window:
        yield window


async def _verified(sha: str, stored: bytes) -> bytes:
    # A document is a few KB: decompressing it costs less than a hop to a thread.
    return decompress_verified(sha, stored)


async def _commit(repo: Repository, tree: dict[str, str], tags: Sequence[str], owner: str) -> str:
    try:
        return await repo.commit_snapshot(tree, tags, store=owner)
    except PreconditionFailed:
        # Another writer advanced HEAD meanwhile: adopt its HEAD and publish on top of it.
        await repo.rebase()
        return await repo.commit_snapshot(tree, tags, store=owner)


async def check_new_packs(repo: Repository, before: set[str]) -> tuple[int, int]:
    """Every pack this backup wrote: present, of the indexed size, hashing to its name.

    One streamed read per pack answers all three (a head first would read a local pack
    twice), and no pack is held in memory: it is hashed as it arrives."""
    sizes = repo.index.pack_sizes()
    checked = added = 0
    for pack in sorted(set(sizes) - before):
        try:
            size, digest = await repo.target.digest(pack_path(pack))
        except ObjectMissing:
            raise NewObjectsDamaged(f"pack {pack} written by this backup is missing") from None
        if size != sizes[pack]:
            raise NewObjectsDamaged(f"pack {pack}: size {size}, expected {sizes[pack]}")
        if digest != pack:
            raise NewObjectsDamaged(f"pack {pack} does not hash to its name")
        checked += 1
        added += sizes[pack]
    return checked, added
