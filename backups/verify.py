"""Checking a repository and reporting, object by object, what is damaged or lost.

The structure check reads only metadata: HEAD (missing, damaged, or not naming the newest
manifest), both copies of the config and of every key file, both copies of every manifest
found, of every live index and of every dictionary, the manifest chain, and the size of every
referenced pack with the SHA-256 the target reports for it (a local folder hashes the file; S3
reports the checksum stored at upload), which must be the pack's name. `read_data` also
downloads packs (all, or a deterministic subset), checks each pack's sha256 against its name
and opens every object in it, so a flipped byte is found even where the metadata is intact.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field

from backups.config import CONFIG_PATHS, KEY_PREFIXES, key_paths, read_config_copies
from backups.copies import Opener, copy_paths, open_copy, read_copy
from backups.crypto import key_file_intact
from backups.dicts import KIND as DICT_KIND
from backups.dicts import open_dict
from backups.errors import BackupError, ObjectMissing
from backups.index import Location
from backups.manifest import HEAD_PATH
from backups.packs import pack_path, read_trailer
from backups.reindex import mark_damaged
from backups.repository import Repository


@dataclass(frozen=True)
class Damage:
    kind: str  # "head" | "config" | "key" | "snapshot" | "index" | "dict" | "pack" | "object"
    name: str  # object id, pack name, manifest/index name, or config path
    reason: str
    lost: bool  # True: nothing left to read it from; False: a second copy still serves
    pack: str | None = None


@dataclass
class VerifyReport:
    problems: list[Damage] = field(default_factory=list)
    snapshots_checked: int = 0
    indexes_checked: int = 0
    packs_checked: int = 0
    packs_hashed: int = 0  # of those, compared by the SHA-256 the target reports, not size
    packs_read: int = 0
    objects_read: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def lost_objects(self) -> set[str]:
        return {d.name for d in self.problems if d.kind == "object" and d.lost}

    @property
    def damaged_packs(self) -> set[str]:
        return {d.name for d in self.problems if d.kind == "pack"}

    def named(self, kind: str) -> set[str]:
        return {d.name for d in self.problems if d.kind == kind}


def _selected(name: str, percent: float, seed: str) -> bool:
    digest = hashlib.sha256(f"{seed}:{name}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 10000 < percent * 100


async def verify(
    repo: Repository, *, read_data: bool = False, percent: float = 100.0, seed: str | None = None
) -> VerifyReport:
    report = VerifyReport()
    if repo.head_problem is not None:
        report.problems.append(Damage("head", HEAD_PATH, repo.head_problem, lost=False))
    await _check_config(repo, report)
    await _check_keys(repo, report)
    await _check_metadata(repo, report)
    truncated = await _check_pack_sizes(repo, report)
    if read_data:
        chosen_seed = seed if seed is not None else secrets.token_hex(8)
        by_pack = repo.index.by_pack()
        for pack in sorted(by_pack):
            if pack in truncated or not _selected(pack, percent, chosen_seed):
                continue
            await _read_pack(repo, pack, by_pack[pack], report)
    # The next backup heals what a listing shows (missing, resized packs) by itself; a pack
    # changed in place it learns of from this mark.
    await mark_damaged(repo.target, report.damaged_packs - truncated)
    return report


async def _check_config(repo: Repository, report: VerifyReport) -> None:
    copies = await read_config_copies(repo.target)
    for path in CONFIG_PATHS:
        config = copies.found.get(path)
        if config is None:
            reason = copies.problems.get(path, "unreadable")
        elif not config.opens_with(repo.key):
            reason = "does not match the repository's key (damaged or replaced)"
        elif config != repo.config:
            reason = "differs from the other copy"
        else:
            continue
        report.problems.append(Damage("config", path, reason, lost=False))


async def _check_keys(repo: Repository, report: VerifyReport) -> None:
    """Both copies of each key file hold this repository's key (checked without the
    passphrase: the digest says the bytes are intact; older key files have none)."""
    for key_id in repo.config.key_ids:
        bad: list[str] = []
        for path in key_paths(key_id):
            try:
                key_file_intact(await repo.target.get(path), path)
            except ObjectMissing:
                bad.append(f"{path} missing")
            except BackupError as exc:
                bad.append(str(exc))
        if bad:
            lost = len(bad) == len(KEY_PREFIXES)
            report.problems.append(Damage("key", key_id, "; ".join(bad), lost=lost))


async def _check_copies(
    repo: Repository, kind: str, name: str, report: VerifyReport, opener: Opener = open_copy
) -> None:
    bad: list[str] = []
    for path in copy_paths(kind, name):
        try:
            await read_copy(repo.target, repo.key, kind, name, path, opener)
        except ObjectMissing:
            bad.append(f"{path} missing")
        except BackupError as exc:
            bad.append(str(exc))
    if bad:
        lost = len(bad) == 2
        report.problems.append(Damage(kind, name, "; ".join(bad), lost=lost))


async def _check_metadata(repo: Repository, report: VerifyReport) -> None:
    walk = await repo.chain()
    scan = repo.manifests
    for name in sorted(scan.manifests):
        report.snapshots_checked += 1
        await _check_copies(repo, "snapshot", name, report)
    broken = dict(walk.broken)
    for name, reason in walk.broken:
        report.problems.append(Damage("snapshot", name, f"chain broken: {reason}", lost=True))
    for name, reason in sorted(scan.unreadable.items()):
        if name not in broken:
            report.problems.append(Damage("snapshot", name, reason, lost=True))
    base = walk.links[0].manifest if walk.links else None
    for name in base.indexes if base else ():
        report.indexes_checked += 1
        await _check_copies(repo, "index", name, report)
    for dict_id in sorted(set(base.dicts.values()) if base else ()):
        if dict_id in repo.index:
            continue  # written before dictionaries were stored apart: checked with its pack
        await _check_copies(repo, DICT_KIND, dict_id, report, open_dict)


async def _check_pack_sizes(repo: Repository, report: VerifyReport) -> set[str]:
    """Report missing and wrongly sized packs; return the packs not worth downloading."""
    skip: set[str] = set()
    by_pack = repo.index.by_pack()
    for pack, size in repo.index.pack_sizes().items():
        report.packs_checked += 1
        info = await repo.target.head(pack_path(pack))
        if info is None:
            report.problems.append(Damage("pack", pack, "missing", lost=True))
            for object_id, _ in by_pack.get(pack, []):
                report.problems.append(
                    Damage("object", object_id, "its pack is missing", lost=True, pack=pack)
                )
            skip.add(pack)
        elif info.size != size:
            report.problems.append(
                Damage("pack", pack, f"size {info.size}, expected {size}", lost=True)
            )
            if info.size < size:
                for object_id, loc in by_pack.get(pack, []):
                    if loc.offset + loc.length > info.size:
                        report.problems.append(
                            Damage("object", object_id, "cut off by truncation", True, pack)
                        )
        elif info.sha256 is not None:
            report.packs_hashed += 1
            if info.sha256 != pack:
                # Which objects suffered only reading the pack tells (--read-data).
                report.problems.append(
                    Damage("pack", pack, f"content does not match its name (SHA-256 "
                           f"{info.sha256})", lost=False)
                )  # fmt: skip
    return skip


async def _read_pack(
    repo: Repository, pack: str, objects: list[tuple[str, Location]], report: VerifyReport
) -> None:
    known_lost = report.lost_objects
    try:
        data = await repo.target.get(pack_path(pack))
    except BackupError as exc:
        report.problems.append(Damage("pack", pack, f"unreadable: {exc}", lost=True))
        return
    report.packs_read += 1
    if hashlib.sha256(data).hexdigest() != pack and pack not in report.damaged_packs:
        report.problems.append(Damage("pack", pack, "content does not match its name", lost=False))
    try:
        read_trailer(repo.key, pack, data)
    except BackupError as exc:
        report.problems.append(Damage("pack", pack, f"trailer: {exc}", lost=False))
    for object_id, loc in objects:
        report.objects_read += 1
        if object_id in known_lost:
            continue
        try:
            await repo.reader.open_in_pack(object_id, loc, data)
        except BackupError as exc:
            report.problems.append(Damage("object", object_id, str(exc), lost=True, pack=pack))
