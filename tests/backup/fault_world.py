"""The fault matrix's world: a store with history backed up three times to two targets, and a
map of which repository object holds what, made once from the intact repository.

Everything a cell expects to lose is worked out here from what the damaged object held (its
byte range, the index entries inside it, the delta chains of the store's pages), never from
what the code under test reports after the damage.
"""

from __future__ import annotations

import asyncio
import hashlib
import shutil
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from backups.copies import read_either
from backups.index import IndexDoc
from backups.packs import pack_path
from backups.repository import Repository
from backups.targets.local import LocalTarget
from syncd.backup.deltas import Delta, decode_map, map_chunks
from syncd.backup.snapshot import run_backup
from syncd.store.store import Store
from tests.backup.helpers import (
    PASSPHRASE,
    T0,
    content,
    new_repo,
    open_fresh_store,
    populate,
    revisions_using,
    sqlite_store,
    text,
)
from tests.support.damage import hurt_range

PRIMARY, SECOND, FOREIGN, STATE = "nas", "second", "foreign", "state"
GENERATIONS = 3


@dataclass(frozen=True)
class Entry:
    object_id: str
    offset: int
    length: int
    dict_id: str | None  # the dictionary its record names (read from the clear header)


def record_dict(record: bytes) -> str | None:
    """The dictionary a pack record names: its header (version, codec, type length, type,
    32-byte dictionary id or zeros) is in clear, so no repository code is needed to read it."""
    start = 3 + record[2]
    raw = record[start : start + 32]
    return None if raw == bytes(32) else raw.hex()


@dataclass
class Snap:
    id: str
    manifest: str
    head: bytes  # HEAD's bytes right after this snapshot was committed
    state: dict[str, Any]  # the store's content when it was taken


@dataclass
class World:
    root: Path  # holds the intact folders: nas/, second/, foreign/, state/
    recovery_key: str
    snaps: list[Snap]  # oldest first
    packs: dict[str, list[Entry]]  # every pack of the primary and what it holds
    pack_sizes: dict[str, int]
    indexes: list[str]  # live index objects, oldest first
    index_packs: dict[str, set[str]]  # index object -> the packs it describes
    dicts: dict[str, str]  # group -> dictionary object id
    deltas: dict[str, Delta]  # blob sha -> how it is stored as a delta
    blob_shas: set[str]  # every blob of the store
    db_chunks: dict[str, str]  # object id -> tree name, for the dump chunks of every snapshot
    revisions_of: dict[str, set[tuple[str, str, int]]]  # blob -> the revisions using it

    def copy_to(self, cell: Path) -> None:
        for name in (PRIMARY, SECOND, STATE):
            shutil.copytree(self.root / name, cell / name)

    # --- choosing victims ------------------------------------------------------------------

    def data_pack(self) -> str:
        """The pack holding the most blobs."""
        return max(self.packs, key=lambda p: (len(self.blobs_in(p)), p))

    def compressed_with(self, dict_id: str) -> set[str]:
        """The objects whose records need dictionary `dict_id` to be read."""
        return {e.object_id for es in self.packs.values() for e in es if e.dict_id == dict_id}

    def blobs_in(self, pack: str) -> set[str]:
        return {e.object_id for e in self.packs[pack] if e.object_id in self.blob_shas}

    def older_pack(self, pack: str) -> str:
        """Another pack of the same repository, for the replace fault."""
        return min(p for p in self.packs if p != pack)

    # --- what damage must cost -------------------------------------------------------------

    def objects_hurt(self, pack: str, fault: str) -> set[str]:
        """The objects of `pack` whose bytes `fault` touches (all of them for delete/replace)."""
        start, end = hurt_range(self.pack_sizes[pack], fault)
        return {
            e.object_id for e in self.packs[pack] if e.offset < end and e.offset + e.length > start
        }

    def blobs_lost(self, objects: set[str]) -> set[str]:
        """Blobs no longer readable when `objects` are: stored whole in them, stored as a delta
        in them, or rebuilt from a base that is lost."""
        lost = {sha for sha in self.blob_shas if sha in objects and sha not in self.deltas}
        lost |= {sha for sha, d in self.deltas.items() if d.delta in objects}
        while True:
            more = {sha for sha, d in self.deltas.items() if d.base in lost} - lost
            if not more:
                return lost
            lost |= more

    def dump_copies_lost(self, objects: set[str]) -> set[str]:
        """Tree names of dump chunks that lose both copies (the matrix expects none)."""
        names = {self.db_chunks[o] for o in objects if o in self.db_chunks}
        by_key = {n.split("/", 2)[2] for n in names}
        return {k for k in by_key if f"db/a/{k}" in names and f"db/b/{k}" in names}


async def _revisions_by_blob(store: Store, shas: set[str]) -> dict[str, set[tuple[str, str, int]]]:
    return {sha: await revisions_using(store, {sha}) for sha in shas}


async def _revise(store: Store, gen: int) -> None:
    """A new generation: a few new items, and new revisions of old pages (stored as deltas)."""
    await populate(store, sites=2, items=3, start=12 + 3 * gen)
    for s in range(2):
        for i in range(4):
            key = f"https://site{s}.example/tin-tuc/{i}"
            # a distinct edit per page: two equal edits make byte-identical deltas (see the
            # collision test in test_fault_matrix)
            stamp = hashlib.sha256(f"{gen}/{s}/{i}".encode()).hexdigest()[:16]
            body = text(s * 10_000 + i * 10) + f" cập nhật {stamp}"
            at = T0 + timedelta(days=10 * gen, minutes=i)
            await store.record(
                f"site{s}", key, {"title": f"Tin {s}-{i}", "body": body}, url=key, at=at
            )


async def _open(root: Path, name: str) -> Repository:
    return await Repository.open(LocalTarget(root / name), PASSPHRASE)


async def build_world(root: Path) -> World:
    store = await open_fresh_store(
        f"sqlite+aiosqlite:///{root / STATE / 'syncd.db'}", root / STATE / "blobs"
    )
    await populate(store, sites=2, items=12)
    primary = await new_repo(LocalTarget(root / PRIMARY))
    second = await new_repo(LocalTarget(root / SECOND))
    snaps: list[Snap] = []
    for gen in range(GENERATIONS):
        if gen:
            await _revise(store, gen)
        result = await run_backup(store, primary)
        await run_backup(store, second)
        head = (root / PRIMARY / "HEAD").read_bytes()
        snaps.append(Snap(result.snapshot, primary.head or "", head, await content(store)))

    foreign_store = await sqlite_store(root, "foreign-store")
    await populate(foreign_store, sites=1, items=4)
    foreign = await new_repo(LocalTarget(root / FOREIGN))
    await run_backup(foreign_store, foreign)
    await foreign_store.close()

    repo = await _open(root, PRIMARY)
    packs: dict[str, list[Entry]] = {p: [] for p in repo.index.pack_sizes()}
    for oid, loc in repo.index.items():
        raw = (root / PRIMARY / pack_path(loc.pack)).read_bytes()
        used = record_dict(raw[loc.offset : loc.offset + loc.length])
        packs[loc.pack].append(Entry(oid, loc.offset, loc.length, used))
    deltas: dict[str, Delta] = {}
    db_chunks: dict[str, str] = {}
    for snap in await repo.list_snapshots():
        for ids in map_chunks(snap.tree):
            deltas.update(decode_map(await repo.read(ids[0])))
        db_chunks.update({oid: n for n, oid in snap.tree.items() if n.startswith("db/")})
    index_packs: dict[str, set[str]] = {}
    for name in repo.live_indexes:
        raw, _ = await read_either(repo.target, repo.key, "index", name)
        index_packs[name] = set(IndexDoc.decode(raw, name).packs)
    blob_shas = set((await content(store))["blobs"])
    world = World(
        root=root,
        recovery_key=primary.export_recovery_key(),
        snaps=snaps,
        packs=packs,
        pack_sizes=repo.index.pack_sizes(),
        indexes=list(repo.live_indexes),
        index_packs=index_packs,
        dicts=dict(repo.dicts),
        deltas=deltas,
        blob_shas=blob_shas,
        db_chunks=db_chunks,
        revisions_of=await _revisions_by_blob(store, blob_shas),
    )
    assert len(world.dicts) == 2, world.dicts  # one per site
    assert deltas, "the world must hold pages stored as deltas"
    for target in (primary, second, repo):
        await target.target.close()
    await store.close()
    return world


def build_world_sync(root: Path) -> World:
    return asyncio.run(build_world(root))
