"""Opening a backup repository: from the configuration, or from what a user types on a new
machine (a bucket or a folder, plus the recovery key), with backup errors made one-liners."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from backups.errors import BackupError, NoRepository, ObjectMissing
from backups.repository import Repository
from backups.targets.base import Target
from syncd.backup.errors import BackupFailed
from syncd.config.model import BackupTarget, Config
from syncd.errors import ConfigError
from syncd.targets import open_target


@contextmanager
def backup_errors(where: str) -> Iterator[None]:
    """Errors of the backups package become one line naming the target."""
    try:
        yield
    except NoRepository:
        raise BackupFailed(
            f"{where}: no backup repository there (run `syncd backup init`)"
        ) from None
    except BackupError as exc:
        raise BackupFailed(f"{where}: {exc}") from None


def configured_target(config: Config, key: str | None) -> tuple[int, BackupTarget]:
    targets = list(enumerate(config.backup_targets))
    if not targets:
        raise ConfigError("backup_targets", "no backup target is configured")
    if key is None:
        return targets[0]
    for index, target in targets:
        if target.key == key:
            return index, target
    known = ", ".join(t.key for _, t in targets)
    raise ConfigError("backup_targets", f"no target {key!r} (configured: {known})")


def describe(target: BackupTarget) -> str:
    if target.kind == "local":
        return f"target {target.key} ({target.path})"
    return f"target {target.key} (s3://{target.bucket}/{target.prefix})"


def lock_for(target: BackupTarget) -> timedelta | None:
    return timedelta(days=target.object_lock_days) if target.object_lock_days else None


def passphrase(target: BackupTarget, index: int) -> str:
    if target.passphrase is None:
        raise ConfigError(f"backup_targets[{index}].passphrase", "a passphrase is needed")
    return target.passphrase.reveal(f"backup_targets[{index}].passphrase")


async def open_configured(
    config: Config, key: str | None, *, recovery_key: str | None = None
) -> Repository:
    index, target = configured_target(config, key)
    where = describe(target)
    with backup_errors(where):
        storage = open_target(target, index)
        if recovery_key is not None:
            return await Repository.open(
                storage, recovery_key=recovery_key, lock_for=lock_for(target)
            )
        return await Repository.open(storage, passphrase(target, index), lock_for=lock_for(target))


def target_from_args(
    local: Path | None,
    s3_endpoint: str | None,
    bucket: str | None,
    prefix: str,
    region: str,
) -> tuple[Target, str]:
    """A target named on the command line; S3 credentials from the usual AWS variables."""
    if local is not None:
        if not local.is_dir():
            raise BackupFailed(f"{local}: no such folder")
        from backups.targets.local import LocalTarget

        return LocalTarget(local), str(local)
    if s3_endpoint is None or bucket is None:
        raise ConfigError("", "name the backup: --local PATH, or --s3-endpoint and --bucket")
    from backups.targets.s3 import S3Target

    target = S3Target(
        s3_endpoint,
        region,
        bucket,
        prefix,
        os.environ.get("AWS_ACCESS_KEY_ID"),
        os.environ.get("AWS_SECRET_ACCESS_KEY"),
        max_attempts=3,
        connect_timeout=5.0,
    )
    return target, f"s3://{bucket}/{prefix}"


def recovery_key_from(given: str | None, file: Path | None) -> str | None:
    if given:
        return given
    if file is not None:
        try:
            return file.read_text().strip()
        except OSError as exc:
            raise BackupFailed(f"cannot read recovery key file {file}: {exc.strerror}") from None
    return os.environ.get("SYNCD_RECOVERY_KEY") or None


async def open_with_key(target: Target, where: str, recovery_key: str) -> Repository:
    with backup_errors(where):
        try:
            return await Repository.open(target, recovery_key=recovery_key)
        except ObjectMissing:
            raise NoRepository("no config") from None
