"""What the daemon's scheduler calls for backups (the lead wires these to the cron schedule).

- `scheduled_backup(config, store, target_key)`: at the target's `schedule` (cron). Backs the
  store up, checks every new pack (presence, size, hash), records `backup.done` or
  `backup.failed` in the event log, and raises on failure so the job shows as failed.
- `scheduled_sampling(config, store, target_key)`: once a day. Reads back the packs whose slot
  is today's (a pack's slot is its name's hash modulo 30, so every pack is read once in any 30
  consecutive days, and a day reads about 1/30 of the repository); records `backup.sampled` or
  `backup.damaged`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from backups.errors import BackupError
from backups.packs import pack_path
from backups.reindex import mark_damaged
from backups.repository import Repository
from syncd.backup.access import backup_errors, configured_target, describe, open_configured
from syncd.backup.errors import BackupFailed
from syncd.backup.snapshot import BackupResult, Progress, run_backup
from syncd.config.model import Config
from syncd.store.store import Store

SAMPLING_DAYS = 30


async def backup_and_record(
    store: Store,
    repo: Repository,
    where: str,
    *,
    tags: Sequence[str] = (),
    progress: Progress | None = None,
    allow_other_store: bool = False,
) -> BackupResult:
    """One backup with its outcome in the event log."""
    try:
        with backup_errors(where):
            if progress is None:
                result = await run_backup(
                    store, repo, tags=tags, allow_other_store=allow_other_store
                )
            else:
                result = await run_backup(
                    store, repo, tags=tags, progress=progress, allow_other_store=allow_other_store
                )
    except Exception as exc:
        await store.log_event(
            "backup.failed",
            f"backup to {where} failed: {exc}",
            severity="error",
            data={"target": where},
        )
        raise
    await store.log_event(
        "backup.done",
        f"snapshot {result.snapshot} to {where}: {result.blobs_added} new blobs, "
        f"{result.bytes_added} bytes in {result.packs_checked} checked packs",
        severity="warning" if result.unreadable_blobs else "info",
        data={"target": where, **result.summary()},
    )
    if result.lost_objects:
        await store.log_event(
            "backup.healed",
            f"snapshot {result.snapshot} to {where}: {result.healed_objects} of "
            f"{result.lost_objects} objects of lost or damaged packs stored again",
            data={"target": where, **result.summary()},
        )
    return result


# Master keys this daemon has unwrapped, by target: scrypt (deliberately slow) runs once per
# target and process, not once per scheduled backup. The key never leaves memory.
_MASTER_KEYS: dict[str, str] = {}


async def open_for_schedule(config: Config, target_key: str) -> Repository:
    """Open the target's repository, with the master key unwrapped earlier when there is one."""
    where = describe(configured_target(config, target_key)[1])
    cached = _MASTER_KEYS.get(where)
    if cached is not None:
        try:
            return await open_configured(config, target_key, recovery_key=cached)
        except BackupFailed:
            # Another repository at the same place (re-initialised): unwrap its key afresh.
            _MASTER_KEYS.pop(where, None)
    repo = await open_configured(config, target_key)
    _MASTER_KEYS[where] = repo.export_recovery_key()
    return repo


async def scheduled_backup(config: Config, store: Store, target_key: str) -> BackupResult:
    _, target = configured_target(config, target_key)
    try:
        repo = await open_for_schedule(config, target_key)
    except Exception as exc:
        await store.log_event(
            "backup.failed",
            f"backup to {describe(target)} failed: {exc}",
            severity="error",
            data={"target": describe(target)},
        )
        raise
    try:
        return await backup_and_record(store, repo, describe(target), tags=("scheduled",))
    finally:
        await repo.target.close()


def sampling_slot(pack: str) -> int:
    return int.from_bytes(hashlib.sha256(pack.encode()).digest()[:4], "big") % SAMPLING_DAYS


@dataclass
class SamplingReport:
    packs_read: int = 0
    objects_read: int = 0
    problems: list[str] = field(default_factory=list)


async def sample_packs(repo: Repository, day: date) -> SamplingReport:
    """Download today's packs, check each hashes to its name, open every object in it."""
    report = SamplingReport()
    slot = day.toordinal() % SAMPLING_DAYS
    for pack, objects in sorted(repo.index.by_pack().items()):
        if sampling_slot(pack) != slot:
            continue
        try:
            data = await repo.target.get(pack_path(pack))
        except BackupError as exc:
            report.problems.append(f"pack {pack}: {exc}")
            continue
        report.packs_read += 1
        if hashlib.sha256(data).hexdigest() != pack:
            report.problems.append(f"pack {pack}: content does not match its name")
            await mark_damaged(repo.target, {pack})
        for object_id, loc in objects:
            report.objects_read += 1
            try:
                await repo.reader.open_in_pack(object_id, loc, data)
            except BackupError as exc:
                report.problems.append(str(exc))
    return report


async def scheduled_sampling(
    config: Config, store: Store, target_key: str, today: date | None = None
) -> SamplingReport:
    _, target = configured_target(config, target_key)
    repo = await open_for_schedule(config, target_key)
    try:
        with backup_errors(describe(target)):
            report = await sample_packs(repo, today or datetime.now(UTC).date())
    finally:
        await repo.target.close()
    data = {
        "target": describe(target),
        "packs_read": report.packs_read,
        "problems": report.problems[:50],
    }
    if report.problems:
        await store.log_event(
            "backup.damaged",
            f"sampling read of {describe(target)} found {len(report.problems)} problems",
            severity="error",
            data=data,
        )
    else:
        await store.log_event(
            "backup.sampled",
            f"read back {report.packs_read} packs of {describe(target)}",
            data=data,
        )
    return report
