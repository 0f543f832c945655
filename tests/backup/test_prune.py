"""`syncd backup prune`: retention and the two-phase delete, refused without delete rights."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from backups.errors import TargetError
from backups.targets.local import LocalTarget
from syncd.backup.errors import PruneRefused
from syncd.backup.pruning import prune_repository
from syncd.backup.snapshot import run_backup
from syncd.config.model import BackupTarget, Retention
from syncd.store.store import Store
from tests.backup.helpers import new_repo, populate

KEEP_ONE = BackupTarget(
    key="nas",
    kind="local",
    path=Path("unused"),
    retention=Retention(keep_last=1, daily=0, weekly=0, monthly=0, yearly=0),
)


class AppendOnlyTarget(LocalTarget):
    """A folder the way the daemon's own S3 credentials see a bucket: no delete right."""

    async def delete(self, name: str) -> None:
        raise TargetError(f"delete {name}: AccessDenied")


async def test_prune_forgets_then_deletes_after_the_grace_period(
    small: Store, tmp_path: Path
) -> None:
    repo = await new_repo(LocalTarget(tmp_path / "repo"))
    await run_backup(small, repo)
    await populate(small, sites=1, items=2, start=70)
    await run_backup(small, repo)
    await populate(small, sites=1, items=2, start=80)
    last = await run_backup(small, repo)
    dry = await prune_repository(repo, KEEP_ONE, timedelta(0), dry_run=True)
    assert sum(line.startswith("forget") for line in dry) == 2
    assert len(await repo.list_snapshots()) == 3
    first = await prune_repository(repo, KEEP_ONE, timedelta(0))
    assert "forgot 2 snapshots" in first
    assert [s.id for s in await repo.list_snapshots()] == [last.snapshot]
    marked = next(int(line.split()[1]) for line in first if line.startswith("marked "))
    second = await prune_repository(repo, KEEP_ONE, timedelta(0))
    deleted = next(int(line.split()[1]) for line in second if line.startswith("deleted "))
    assert marked > 0 and deleted == marked


async def test_prune_refuses_without_delete_rights_and_changes_nothing(
    small: Store, tmp_path: Path
) -> None:
    repo = await new_repo(AppendOnlyTarget(tmp_path / "repo"))
    await run_backup(small, repo)
    await run_backup(small, repo)
    with pytest.raises(PruneRefused, match="cannot delete"):
        await prune_repository(repo, KEEP_ONE, timedelta(0))
    assert len(await repo.list_snapshots()) == 2
    assert not list((tmp_path / "repo").glob("pending-delete/*"))
