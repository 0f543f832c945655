"""Bringing the index back in line with the packs that are really there.

The index is what every backup decides by: an object it lists is never uploaded again. So a
pack that is gone, or no longer what was indexed (truncated, overwritten), must leave the
index, or its objects stay lost for good. Packs describe themselves (a sealed trailer with
every object's id, offset, length and flags: all an index entry holds), so an index lost in
both copies is rebuilt from them.

- `forget_lost_packs` runs at the start of every backup: one listing of `data/` shows which
  indexed packs are missing or of the wrong size, and one of `damaged/` which packs a
  verify or a read-back found changed in place (a listing cannot show that). Missing packs
  are forgotten; from a damaged one the records that still open are copied into a new pack,
  and the rest is forgotten. The backup then uploads again every lost object the store
  still has.
- `rebuild_index` is the repair step: the same, plus indexing every pack no live index
  covers, then publishing the result at once.
- `repair_dicts` writes a lost or damaged dictionary copy again from the good one, and
  copies dictionaries that an older repository kept in a data pack out of it.
- `repair_data` runs both for `syncd backup repair`, saying what it did.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from backups.dicts import read_dict, seal_dict, write_dict
from backups.errors import BackupError, ObjectLocked, ObjectMissing, RepositoryCorrupt
from backups.index import Location
from backups.manifest import Manifest
from backups.packs import pack_path
from backups.repository import Repository
from backups.targets.base import Target


@dataclass(frozen=True)
class PackCheck:
    gone: frozenset[str]  # indexed, not in the target
    resized: frozenset[str]  # indexed with another size than the target's


def compare_packs(indexed: Mapping[str, int], present: Mapping[str, int]) -> PackCheck:
    """Indexed pack sizes against the target's listing (pure)."""
    return PackCheck(
        frozenset(p for p in indexed if p not in present),
        frozenset(p for p, size in indexed.items() if p in present and present[p] != size),
    )


async def present_packs(target: Target) -> dict[str, int]:
    """Every pack in the target with its size, from one listing."""
    return {info.name.rsplit("/", 1)[-1]: info.size async for info in target.list("data/")}


# A pack found changed in place is named by an empty object under this prefix. The mark is
# only a hint: the backup checks the pack's hash before it acts, so a forged mark costs one
# hash, never data; prune removes marks once their pack has left the index.
DAMAGED_PREFIX = "damaged/"


async def mark_damaged(target: Target, packs: set[str]) -> None:
    """Leave a mark for the next backup; skipped where these credentials cannot write (the
    next verify or read-back finds the pack again)."""
    for pack in sorted(packs):
        try:
            await target.put(DAMAGED_PREFIX + pack, b"")
        except (BackupError, OSError):
            return


async def marked_damaged(target: Target) -> set[str]:
    return {info.name[len(DAMAGED_PREFIX) :] async for info in target.list(DAMAGED_PREFIX)}


async def clear_damage_marks(repo: Repository) -> int:
    """Remove the marks of packs no longer indexed (healed); how many."""
    indexed = repo.index.pack_sizes()
    done = [pack for pack in await marked_damaged(repo.target) if pack not in indexed]
    for pack in done:
        await repo.target.delete(DAMAGED_PREFIX + pack)
    return len(done)


async def _changed_in_place(target: Target, packs: set[str]) -> set[str]:
    changed = set()
    for pack in packs:
        try:
            info = await target.head(pack_path(pack))
            if info is None or info.sha256 is None:
                _, digest = await target.digest(pack_path(pack))
            else:
                digest = info.sha256
        except ObjectMissing:
            continue  # the listing's business: forgotten at the next backup
        if digest != pack:
            changed.add(pack)
    return changed


@dataclass
class Healing:
    gone: set[str] = field(default_factory=set)
    damaged: set[str] = field(default_factory=set)
    lost: set[str] = field(default_factory=set)  # object ids no pack gives back any more
    salvaged: int = 0  # objects copied out of damaged packs

    @property
    def changed(self) -> bool:
        return bool(self.gone or self.damaged)


async def forget_lost_packs(repo: Repository) -> Healing:
    """Drop missing and damaged packs from the index, keeping what still reads of them."""
    indexed = repo.index.pack_sizes()
    check = compare_packs(indexed, await present_packs(repo.target))
    marked = await marked_damaged(repo.target)
    suspect = {p for p in marked if p in indexed} - check.gone - check.resized
    changed = await _changed_in_place(repo.target, suspect) if suspect else set()
    healing = Healing(set(check.gone), set(check.resized) | changed)
    if not healing.changed:
        return healing
    by_pack = repo.index.by_pack()
    for pack in check.gone:
        healing.lost.update(oid for oid, _ in by_pack[pack])
    repo.forget_packs(set(check.gone))
    for pack in sorted(healing.damaged):
        await _salvage(repo, pack, by_pack[pack], healing)
    return healing


async def _salvage(
    repo: Repository, pack: str, objects: list[tuple[str, Location]], healing: Healing
) -> None:
    """Forget `pack`, then store again each of its records that still opens."""
    good: list[tuple[str, bytes, int]] = []
    try:
        data = await repo.target.get(pack_path(pack))
    except BackupError:
        data = b""
    for object_id, loc in objects:
        try:
            await repo.reader.open_in_pack(object_id, loc, data)
        except BackupError:
            healing.lost.add(object_id)
            continue
        good.append((object_id, data[loc.offset : loc.offset + loc.length], loc.flags))
    del data
    repo.reader.forget_cache()
    repo.forget_packs({pack})
    for object_id, record, flags in good:
        await repo.add_record(object_id, record, flags)
    healing.salvaged += len(good)


@dataclass
class Rebuild:
    healing: Healing
    adopted: int  # objects indexed from packs no live index covered
    published: str | None  # the repair record's manifest, when anything changed


async def rebuild_index(repo: Repository) -> Rebuild:
    """Index every pack from its trailer where no live index covers it, forget packs that are
    gone or damaged, and publish the result (a new index, twice, under a repair record)."""
    healing = await forget_lost_packs(repo)
    await repo.reindex_unindexed_packs()
    adopted = repo.adopted_objects  # opening adopts the packs of an index lost in both copies
    published = None
    if healing.changed or adopted:
        await repo.flush()
        record = Manifest(
            kind="repair", id=secrets.token_hex(8), time=datetime.now(UTC), parent=repo.head
        )
        published = await repo.publish(record)
    return Rebuild(healing, adopted, published)


async def repair_dicts(repo: Repository) -> tuple[list[str], list[str]]:
    """Both copies of every dictionary in use, good again where one is: what was rewritten,
    and what could not be."""
    done: list[str] = []
    left: list[str] = []
    for dict_id in sorted(set(repo.dicts.values())):
        try:
            data, problems = await read_dict(repo.target, repo.key, dict_id)
        except RepositoryCorrupt:
            if dict_id not in repo.index:
                left.append(f"dictionary {dict_id}: both copies lost, nothing to copy from")
                continue
            data = await repo.reader.dictionary(dict_id)
            await write_dict(repo.target, repo.key, dict_id, data, repo.lock_for)
            done.append(f"dictionary {dict_id}: copied out of its data pack, twice")
            continue
        for problem in problems:
            try:
                await repo.target.put(problem.path, seal_dict(repo.key, dict_id, data))
            except ObjectLocked:
                left.append(f"{problem.path}: {problem.reason}; locked, left as it is")
                continue
            done.append(f"{problem.path}: {problem.reason}; written again")
    return done, left


async def repair_data(repo: Repository) -> tuple[list[str], list[str]]:
    """Repair step: indexes and dictionaries brought back in line with what is stored; what
    was rewritten, and what stays broken (the shape of backups/repair.py's StepResult)."""
    done, left = await repair_dicts(repo)
    rebuilt = await rebuild_index(repo)
    h = rebuilt.healing
    if h.gone:
        done.append(f"forgot {len(h.gone)} missing packs ({len(h.lost)} objects lost)")
    if h.damaged:
        done.append(
            f"retired {len(h.damaged)} damaged packs: {h.salvaged} objects copied to new "
            "packs, the rest forgotten"
        )
    if rebuilt.adopted:
        done.append(f"indexed {rebuilt.adopted} objects from packs no index covered")
    if rebuilt.published:
        done.append(f"published a new index (repair record {rebuilt.published})")
    if h.lost:
        # Not left broken by the repair: healing them is the next backup's work.
        done.append(
            f"{len(h.lost)} objects of lost packs: the next `syncd backup run` stores again "
            "those the store still has"
        )
    return done, left
