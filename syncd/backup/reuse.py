"""What a backup may take over from the previous snapshot instead of producing it again.

A table whose fingerprint equals the one recorded in the previous snapshot has the same rows,
so the previous snapshot's chunks of it (both copies) stand for it, provided the repository
still indexes them. When the tables that decide which blobs a snapshot holds (blobs,
revisions, revision_blobs) are all unchanged and the previous backup stored every blob, its
list of held blobs and its delta map stand too, checked object by object against the index.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from backups.copies import read_either
from backups.errors import BackupError
from backups.manifest import Manifest
from backups.packs import FLAG_REFS
from backups.repository import Repository
from syncd.backup.deltas import DELTA_TABLE
from syncd.backup.rows import BLOBS_ENTRY, COPIES, meta_name

# The tables whose rows decide the set of blobs a snapshot holds and how they are stored.
BLOB_TABLES = ("blobs", "revisions", "revision_blobs")


@dataclass
class Previous:
    """The newest snapshot's tree and the facts its second meta copy recorded."""

    tree: dict[str, str] = field(default_factory=dict)
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)
    blobs: int | None = None  # blob rows it held, when every one of them was stored


async def previous_snapshot(repo: Repository) -> Previous:
    if repo.head is None:
        return Previous()
    raw, _ = await read_either(repo.target, repo.key, "snapshot", repo.head)
    head = Manifest.decode(raw, f"snapshots/{repo.head}")
    if head.kind == "snapshot":
        tree = dict(head.tree)
    else:  # HEAD is a forget or prune record: look further back
        snapshots = await repo.list_snapshots()
        tree = snapshots[0].tree if snapshots else {}
    prev = Previous(tree)
    oid = tree.get(meta_name(COPIES[1]))
    if oid is None or not repo.has(oid):
        return prev
    try:
        meta = json.loads(await repo.read(oid))
    except (BackupError, ValueError):
        return prev  # nothing is taken over; the backup simply does all the work
    finally:
        repo.reader.forget_cache()
    if isinstance(meta.get("tables"), dict):
        prev.tables = meta["tables"]
    if isinstance(meta.get("blobs_complete"), int):
        prev.blobs = meta["blobs_complete"]
    return prev


def _entries(tree: dict[str, str], table: str) -> dict[str, str]:
    prefixes = tuple(f"db/{copy}/{table}/" for copy in COPIES)
    return {name: oid for name, oid in tree.items() if name.startswith(prefixes)}


@dataclass(frozen=True)
class ReusedTable:
    entries: dict[str, str]  # tree name -> object id, both copies of every chunk
    chunks: list[str]
    rows: int


def reusable_table(
    repo: Repository, prev: Previous, table: str, fingerprint: str
) -> ReusedTable | None:
    recorded = prev.tables.get(table)
    if not isinstance(recorded, dict) or recorded.get("fingerprint") != fingerprint:
        return None
    chunks = recorded.get("chunks")
    rows = recorded.get("rows")
    if not isinstance(chunks, list) or not isinstance(rows, int):
        return None
    entries = _entries(prev.tree, table)
    wanted = {f"db/{copy}/{table}/{key}" for copy in COPIES for key in chunks}
    if set(entries) != wanted or not all(repo.has(oid) for oid in entries.values()):
        return None
    return ReusedTable(entries, [str(k) for k in chunks], rows)


async def held_blob_entries(repo: Repository, prev: Previous) -> dict[str, str] | None:
    """The previous held-blobs list and delta map entries, if the repository still has every
    object they reach. They stand for this snapshot when the BLOB_TABLES are unchanged too;
    this half reads only the repository, so a backup runs it while the database computes
    the fingerprints."""
    if prev.blobs is None:
        return None
    refs = prev.tree.get(BLOBS_ENTRY)
    deltas = _entries(prev.tree, DELTA_TABLE)
    if refs is None or not all(repo.has(oid) for oid in [refs, *deltas.values()]):
        return None
    try:
        if not await _all_indexed(repo, refs):
            return None
    except BackupError:
        return None
    finally:
        repo.reader.forget_cache()
    return {BLOBS_ENTRY: refs, **deltas}


async def _all_indexed(repo: Repository, root: str) -> bool:
    """Whether `root` and everything reachable from it through refs objects is indexed: the
    walk of `Repository.reachable` and the index check in one pass, stopping at the first
    object missing (a no-change backup at 1 GB of content checks ~25,000)."""
    seen: set[str] = set()
    todo = [root]
    while todo:
        oid = todo.pop()
        if oid in seen:
            continue
        seen.add(oid)
        loc = repo.index.lookup(oid)
        if loc is None:
            return False
        if loc.flags & FLAG_REFS:
            body = await repo.read(oid)
            todo.extend(body[i : i + 32].hex() for i in range(0, len(body), 32))
    return True
