"""Turning a configured backup target into a storage target of the backups package."""

from __future__ import annotations

from backups.targets.base import Target
from syncd.config.model import BackupTarget


def open_target(target: BackupTarget, index: int) -> Target:
    """A Target for the configured `target` (entry `index` of backup_targets), secrets resolved."""
    where = f"backup_targets[{index}]"
    if target.kind == "local":
        from backups.targets.local import LocalTarget

        assert target.path is not None  # the model refuses a local target without a path
        return LocalTarget(target.path)
    from backups.targets.s3 import S3Target

    assert target.bucket is not None
    access = target.access_key.reveal(f"{where}.access_key") if target.access_key else None
    secret = target.secret_key.reveal(f"{where}.secret_key") if target.secret_key else None
    return S3Target(
        target.endpoint,
        target.region,
        target.bucket,
        target.prefix,
        access,
        secret,
        path_style=target.path_style,
    )
