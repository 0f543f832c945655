"""Forgetting snapshots and reclaiming space, in two phases so a running backup is never hurt.

`forget` applies a retention policy: it writes a forget record (keeping the chain checkable)
and removes the forgotten manifests. `mark` lists packs that no live snapshot reaches in a
`pending-delete/` record; `sweep`, run at least a grace period later, deletes only those that
are still unreachable, after publishing an index without them. A backup that started before
`mark` and deduplicated against a marked pack either commits before the sweep (so the pack is
reachable again and stays) or, if it commits after, fails its rebase with RebaseConflict
instead of referencing a deleted pack. Packs are deleted whole: partly used packs are kept.
"""

from __future__ import annotations

import contextlib
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from backups.copies import copy_paths, read_either, write_twice
from backups.crypto import associated_data, seal, unseal
from backups.errors import BackupError, IncompleteRepository, ObjectLocked, RepositoryCorrupt
from backups.history import plan_forget
from backups.index import IndexDoc
from backups.manifest import Manifest
from backups.packs import FLAG_DICT, pack_path
from backups.repository import Repository
from backups.retention import RetentionPolicy, decide

PENDING_PREFIX = "pending-delete/"


@dataclass(frozen=True)
class ForgetResult:
    kept: dict[str, list[str]]  # snapshot id -> reasons
    forgotten: list[str]  # snapshot ids


async def forget(
    repo: Repository,
    policy: RetentionPolicy,
    now: datetime | None = None,
    *,
    drop: frozenset[str] = frozenset(),
) -> ForgetResult:
    """Apply `policy` to the chain's snapshots, and forget the snapshots whose ids are in
    `drop` whatever the policy says (detached ones too: nothing else ever forgets those)."""
    now = now or datetime.now(UTC)
    dropped = await _drop_detached(repo, drop)
    walk = await repo.chain()
    snaps = [lk for lk in walk.links if lk.manifest.kind == "snapshot"]
    kept = decide([(lk.manifest.id, lk.manifest.time) for lk in snaps], policy, now)
    kept = {sid: why for sid, why in kept.items() if sid not in drop}
    gone = [lk.manifest.id for lk in snaps if lk.manifest.id not in kept]
    if not gone:
        return ForgetResult(kept, dropped)
    if walk.broken:
        # Cutting a chain whose end is unknown could drop what lies beyond the break.
        raise RepositoryCorrupt("manifest chain is broken; run verify before forgetting")
    keep_names = {lk.name for lk in snaps if lk.manifest.id in kept}
    plan = plan_forget(walk.links, keep_names)
    record = Manifest(
        kind="forget",
        id=secrets.token_hex(8),
        time=now,
        parent=repo.head,
        forgotten=plan.forgotten,
        root=plan.root,
    )
    await repo.publish(record)
    for name in plan.delete:
        for path in copy_paths("snapshot", name):
            # A locked manifest stays as harmless garbage until its lock expires.
            with contextlib.suppress(ObjectLocked):
                await repo.target.delete(path)
    repo.manifests_deleted(plan.delete)
    return ForgetResult(kept, [*gone, *dropped])


async def _drop_detached(repo: Repository, drop: frozenset[str]) -> list[str]:
    """Delete the manifests of the detached snapshots named in `drop`; their ids."""
    doomed = {s.manifest: s.id for s in await repo.list_snapshots() if s.detached and s.id in drop}
    for name in doomed:
        for path in copy_paths("snapshot", name):
            with contextlib.suppress(ObjectLocked):
                await repo.target.delete(path)
    repo.manifests_deleted(doomed)
    return list(doomed.values())


async def _live_objects(repo: Repository) -> set[str]:
    roots = [oid for snap in await repo.list_snapshots() for oid in snap.tree.values()]
    live = await repo.reachable(roots)
    missing = [oid for oid in live if oid not in repo.index]
    if missing:
        # A lost list of object ids hides what it kept alive: deleting by what is still
        # readable could take objects a snapshot needs. Backups heal what the store still
        # has; the rest goes when retention forgets the snapshots that reference it.
        raise IncompleteRepository(
            f"{len(missing)} objects that live snapshots reference are lost (e.g. "
            f"{missing[0]}); nothing is deleted until a backup has stored them again or the "
            "snapshots that reference them are forgotten"
        )
    # Dictionaries are few and small; keeping them all avoids reading every record header.
    live.update(oid for oid, loc in repo.index.items() if loc.flags & FLAG_DICT)
    return live


async def _detached_packs(repo: Repository) -> set[str] | None:
    """Packs named by indexes that only detached snapshots list: kept whole, since the live
    index cannot say which of their objects those snapshots reach. None when such an index
    is unreadable: then no pack outside the live index may be taken for a leftover."""
    live = set(repo.live_indexes)
    scan = repo.manifests
    names = {
        index
        for snap in await repo.list_snapshots()
        if snap.detached
        for index in scan.manifests[snap.manifest].indexes
        if index not in live
    }
    packs: set[str] = set()
    for name in sorted(names):
        try:
            raw, _ = await read_either(repo.target, repo.key, "index", name)
            packs.update(IndexDoc.decode(raw, f"index/{name}").packs)
        except BackupError:
            return None
    return packs


async def _unreferenced_packs(repo: Repository) -> set[str]:
    live = await _live_objects(repo)
    indexed = repo.index.by_pack()
    dead = {p for p, objs in indexed.items() if not any(oid in live for oid, _ in objs)}
    kept_for_detached = await _detached_packs(repo)
    # Packs no index knows: leftovers of crashed or still running backups.
    async for info in repo.target.list("data/"):
        name = info.name.rsplit("/", 1)[-1]
        if name not in indexed and kept_for_detached is not None:
            dead.add(name)
    return dead - (kept_for_detached or set())


async def mark(repo: Repository, now: datetime | None = None) -> set[str]:
    """Record the currently unreachable packs for a later sweep; returns them."""
    now = now or datetime.now(UTC)
    dead = await _unreferenced_packs(repo)
    if dead:
        name = f"{PENDING_PREFIX}{now.strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(4)}"
        body = json.dumps({"time": now.isoformat(), "packs": sorted(dead)}).encode()
        await repo.target.put(name, seal(repo.key, body, associated_data("pending", name)))
    return dead


async def sweep(repo: Repository, grace: timedelta, now: datetime | None = None) -> set[str]:
    """Delete marked packs older than `grace` that are still unreachable; returns them."""
    now = now or datetime.now(UTC)
    due_records: list[str] = []
    candidates: set[str] = set()
    async for info in repo.target.list(PENDING_PREFIX):
        try:
            raw = unseal(
                repo.key,
                await repo.target.get(info.name),
                associated_data("pending", info.name),
                info.name,
            )
            doc = json.loads(raw)
        except (BackupError, ValueError):
            continue  # an unreadable record only delays reclaiming space
        if datetime.fromisoformat(doc["time"]) + grace <= now:
            due_records.append(info.name)
            candidates.update(doc["packs"])
    if not due_records:
        return set()
    doomed = candidates & await _unreferenced_packs(repo)
    if doomed & set(repo.index.pack_sizes()):
        await _publish_index_without(repo, doomed)
    for pack in sorted(doomed):
        # Still under Object Lock: no index names it any more, so a later mark finds it again.
        with contextlib.suppress(ObjectLocked):
            await repo.target.delete(pack_path(pack))
    for name in due_records:
        await repo.target.delete(name)
    return doomed


async def _publish_index_without(repo: Repository, doomed: set[str]) -> None:
    """One consolidated index without `doomed`, published (HEAD race-safe) before deletion."""
    old = list(repo.live_indexes)
    doc = repo.index.to_doc(without=doomed)
    name = await write_twice(repo.target, repo.key, "index", doc.encode(), repo.lock_for)
    record = Manifest(
        kind="prune", id=secrets.token_hex(8), time=datetime.now(UTC), parent=repo.head
    )
    await repo.publish(record, indexes=[name])
    repo.index.drop_packs(doomed)
    for old_name in old:
        if old_name != name:
            for path in copy_paths("index", old_name):
                with contextlib.suppress(ObjectLocked):
                    await repo.target.delete(path)
