"""`syncd backup prune`: retention, then the two-phase delete, only with delete rights."""

from __future__ import annotations

import contextlib
import secrets
from datetime import UTC, datetime, timedelta

from backups.errors import BackupError, ObjectMissing
from backups.prune import forget, mark, sweep
from backups.reindex import clear_damage_marks
from backups.repository import Repository
from backups.retention import RetentionPolicy, decide
from syncd.backup.errors import NoSuchSnapshot, PruneRefused
from syncd.config.model import BackupTarget, Retention

PROBE_PREFIX = "probe/"


def policy_of(retention: Retention) -> RetentionPolicy:
    return RetentionPolicy(
        last=retention.keep_last,
        daily=retention.daily,
        weekly=retention.weekly,
        monthly=retention.monthly,
        yearly=retention.yearly,
        within=retention.within,
    )


async def check_delete_rights(repo: Repository, where: str) -> None:
    """Write and delete a throwaway object; refuse before touching anything if we cannot."""
    name = f"{PROBE_PREFIX}delete-{secrets.token_hex(8)}"
    await repo.target.put(name, b"prune probe")
    try:
        await repo.target.delete(name)
    except BackupError as exc:
        raise PruneRefused(
            f"{where}: these credentials cannot delete ({exc}); run prune with credentials "
            "that may delete objects"
        ) from None
    with contextlib.suppress(ObjectMissing):
        if await repo.target.head(name) is not None:
            raise PruneRefused(f"{where}: deleting is silently ignored; prune needs delete rights")


async def prune_repository(
    repo: Repository,
    target: BackupTarget,
    grace: timedelta,
    *,
    dry_run: bool = False,
    now: datetime | None = None,
    drop: frozenset[str] = frozenset(),
) -> list[str]:
    """Lines saying what was (or, dry run, would be) kept, forgotten, deleted and marked.

    `drop`: ids of snapshots to forget whatever the policy says (the only way a detached
    snapshot, which the policy never touches, is forgotten)."""
    now = now or datetime.now(UTC)
    policy = policy_of(target.retention)
    snapshots = await repo.list_snapshots()
    unknown = drop - {s.id for s in snapshots}
    if unknown:
        raise NoSuchSnapshot(f"no snapshot {', '.join(sorted(unknown))} in the repository")
    chain = [s for s in snapshots if not s.detached]
    kept = decide([(s.id, s.time) for s in chain], policy, now)
    lines = []
    for snap in snapshots:
        why = kept.get(snap.id) if not snap.detached else ["detached"]
        verdict = f"keep   ({', '.join(why)})" if why and snap.id not in drop else "forget"
        lines.append(f"{verdict:<40} {snap.id}  {snap.time:%Y-%m-%d %H:%M:%S}Z")
    if dry_run:
        return [*lines, "dry run: nothing changed"]
    await check_delete_rights(repo, f"target {target.key}")
    result = await forget(repo, policy, now, drop=drop)
    deleted = await sweep(repo, grace, now)
    marked = await mark(repo, now)
    await clear_damage_marks(repo)
    return [
        *lines,
        f"forgot {len(result.forgotten)} snapshots",
        f"deleted {len(deleted)} packs marked at least {grace} ago",
        f"marked {len(marked)} unreachable packs for deletion after {grace}",
    ]
