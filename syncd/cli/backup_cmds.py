"""`syncd backup init|run|list|verify|repair|key export|prune` and `syncd restore`."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import click

from syncd.backup.errors import BackupFailed, RestoreIncomplete, VerifyFailed
from syncd.cli.common import check_can_create, config_option, read_config, run
from syncd.errors import ConfigError, NotFound

if TYPE_CHECKING:
    from syncd.config.model import BackupTarget, Config

# The backup machinery (SQLAlchemy, boto3, cryptography, rich) is imported inside each
# command, so other commands do not pay for it at start-up.

target_option = click.option(
    "--target", "target_key", default=None, help="Key of the backup target (default: the first)."
)


@click.group("backup")
def backup_group() -> None:
    """Off-site backups of the store."""


@backup_group.command("init")
@config_option
@target_option
def backup_init(config_file: Path | None, target_key: str | None) -> None:
    """Create an empty backup repository at the target and print its recovery key."""
    from backups.repository import Repository
    from syncd.backup.access import backup_errors, configured_target, describe, lock_for, passphrase
    from syncd.targets import open_target

    config = read_config(config_file)
    index, target = configured_target(config, target_key)

    async def action() -> str:
        storage = open_target(target, index)
        with backup_errors(describe(target)):
            repo = await Repository.init(
                storage, passphrase(target, index), lock_for=lock_for(target)
            )
            await storage.close()
            return repo.export_recovery_key()

    key = run(action())
    click.echo(f"created a backup repository at {describe(target)}")
    click.echo("recovery key (store it offline; with the bucket it is enough to restore):")
    click.echo(f"  {key}")


@backup_group.command("run")
@config_option
@target_option
@click.option("--tag", "tags", multiple=True, help="Label the snapshot (repeatable).")
@click.option(
    "--allow-other-store",
    is_flag=True,
    help="Back up even though the repository holds snapshots of another store.",
)
def backup_run(
    config_file: Path | None, target_key: str | None, tags: tuple[str, ...], allow_other_store: bool
) -> None:
    """Back the store up now (incremental: only what the repository lacks is uploaded)."""
    from syncd.backup.access import configured_target, describe, open_configured
    from syncd.backup.progress_bar import progress_bar
    from syncd.backup.schedule import backup_and_record
    from syncd.store.open import open_existing_store

    config = read_config(config_file)
    _, target = configured_target(config, target_key)

    async def action() -> None:
        store = await open_existing_store(config)
        try:
            repo = await open_configured(config, target_key)
            with progress_bar() as bar:
                result = await backup_and_record(
                    store,
                    repo,
                    describe(target),
                    tags=tags,
                    progress=bar,
                    allow_other_store=allow_other_store,
                )
            await repo.target.close()
        finally:
            await store.close()
        click.echo(
            f"snapshot {result.snapshot}: {result.blobs_added} of {result.blobs} blobs and "
            f"{result.chunks_added} table chunks new, {result.bytes_added / 1e6:.2f} MB added, "
            f"{result.packs_checked} new packs checked, {result.seconds:.1f} s"
        )
        if result.lost_objects:
            click.echo(
                f"healed: {result.healed_objects} of {result.lost_objects} objects of lost or "
                "damaged packs stored again"
            )
        for sha in result.unreadable_blobs:
            click.echo(f"warning: blob {sha} is unreadable in the store and was not backed up")

    run(action())


@backup_group.command("list")
@config_option
@target_option
def backup_list(config_file: Path | None, target_key: str | None) -> None:
    """Snapshots in the repository, newest first."""
    from syncd.backup.access import backup_errors, configured_target, describe, open_configured

    config = read_config(config_file)

    async def action() -> None:
        repo = await open_configured(config, target_key)
        with backup_errors(describe(configured_target(config, target_key)[1])):
            snapshots = await repo.list_snapshots()
        await repo.target.close()
        if not snapshots:
            click.echo("no snapshots yet")
        for snap in snapshots:
            tags = ",".join(snap.tags)
            mark = "  (detached: off the chain from the newest)" if snap.detached else ""
            click.echo(f"{snap.id}  {snap.time:%Y-%m-%d %H:%M:%S}Z  {snap.host}  {tags}{mark}")
        if any(snap.detached for snap in snapshots):
            click.echo("the manifest chain is broken or branched: run `syncd backup verify`")

    run(action())


@backup_group.command("verify")
@config_option
@target_option
@click.option("--read-data", is_flag=True, help="Download, decrypt and hash the data too.")
@click.option("--subset", type=click.FloatRange(0, 100), default=100.0, help="Percent of packs.")
def backup_verify(
    config_file: Path | None, target_key: str | None, read_data: bool, subset: float
) -> None:
    """Check the repository's structure (and with --read-data its data)."""
    from backups.verify import verify
    from syncd.backup.access import backup_errors, configured_target, describe, open_configured
    from syncd.store.open import open_existing_store

    config = read_config(config_file)
    where = describe(configured_target(config, target_key)[1])

    async def action() -> None:
        repo = await open_configured(config, target_key)
        with backup_errors(where):
            report = await verify(repo, read_data=read_data, percent=subset)
        await repo.target.close()
        for damage in report.problems:
            state = "LOST" if damage.lost else "damaged (a copy remains)"
            click.echo(f"{damage.kind} {damage.name}: {damage.reason} [{state}]")
        try:
            store = await open_existing_store(config)
        except NotFound:
            store = None  # no store on this machine to record the verdict in: only printed
        if store is not None:
            try:
                await store.log_event(
                    "backup.verified" if report.ok else "backup.damaged",
                    f"verify of {where}: {len(report.problems)} problems, "
                    f"{report.packs_read} packs read",
                    severity="info" if report.ok else "error",
                    data={"target": where, "read_data": read_data,
                          "problems": len(report.problems)},
                )  # fmt: skip
            finally:
                await store.close()
        click.echo(
            f"{report.snapshots_checked} snapshots, {report.indexes_checked} indexes, "
            f"{report.packs_checked} packs checked; {report.packs_read} packs read"
        )
        if not report.ok:
            raise VerifyFailed(f"{where}: {len(report.problems)} problems found (listed above)")
        click.echo("no problems found")

    run(action())


@backup_group.command("repair")
@config_option
@target_option
@click.option("--recovery-key", default=None, help="Recovery key (or $SYNCD_RECOVERY_KEY).")
@click.option("--recovery-key-file", type=click.Path(path_type=Path), default=None)
def backup_repair(
    config_file: Path | None,
    target_key: str | None,
    recovery_key: str | None,
    recovery_key_file: Path | None,
) -> None:
    """Rebuild what can be rebuilt: config and key files from their copies or the recovery
    key, lost manifest copies, and HEAD. Exit status 1 when something stays broken."""
    from backups.repair import repair
    from syncd.backup.access import backup_errors, configured_target, describe, recovery_key_from
    from syncd.targets import open_target

    config = read_config(config_file)
    index, target = configured_target(config, target_key)
    where = describe(target)
    key = recovery_key_from(recovery_key, recovery_key_file)
    secret = _optional_passphrase(target, index)
    if key is None and secret is None:
        raise ConfigError(
            f"backup_targets[{index}].passphrase", "give the passphrase or a recovery key"
        )

    async def action() -> list[str]:
        storage = open_target(target, index)
        try:
            with backup_errors(where):
                reports = await repair(storage, passphrase=secret, recovery_key=key)
        finally:
            await storage.close()
        left: list[str] = []
        for report in reports:
            for line in report.result.done:
                click.echo(f"{report.step}: {line}")
            left += [f"{report.step}: {line}" for line in report.result.left]
        return left

    left = run(action())
    for line in left:
        click.echo(f"not repaired: {line}")
    if left:
        raise BackupFailed(f"{where}: {len(left)} things could not be repaired (listed above)")
    click.echo(f"{where}: repaired; run `syncd backup verify` to check")


def _optional_passphrase(target: BackupTarget, index: int) -> str | None:
    from syncd.backup.access import passphrase

    return passphrase(target, index) if target.passphrase is not None else None


@backup_group.group("key")
def key_group() -> None:
    """The repository's recovery key."""


@key_group.command("export")
@config_option
@target_option
def key_export(config_file: Path | None, target_key: str | None) -> None:
    """Print the recovery key: with the bucket, it alone is enough to restore."""
    from syncd.backup.access import open_configured

    config = read_config(config_file)

    async def action() -> str:
        repo = await open_configured(config, target_key)
        await repo.target.close()
        return repo.export_recovery_key()

    click.echo(run(action()))


@backup_group.command("prune")
@config_option
@target_option
@click.option("--dry-run", is_flag=True, help="Only list which snapshots would be kept and why.")
@click.option("--grace", default="24h", show_default=True, help="Age of a mark before deletion.")
@click.option(
    "--forget",
    "forget_ids",
    multiple=True,
    help="Forget this snapshot (id) whatever the policy says, detached ones too (repeatable).",
)
def backup_prune(
    config_file: Path | None,
    target_key: str | None,
    dry_run: bool,
    grace: str,
    forget_ids: tuple[str, ...],
) -> None:
    """Forget snapshots the retention policy drops; delete unreachable packs in two phases.

    Run with credentials that may delete (the daemon's own need not): each run deletes the
    packs marked by a run at least --grace earlier that are still unreachable, then marks.
    """
    from syncd.backup.access import backup_errors, configured_target, describe, open_configured
    from syncd.backup.pruning import prune_repository

    config = read_config(config_file)
    _, target = configured_target(config, target_key)

    async def action() -> None:
        repo = await open_configured(config, target_key)
        try:
            with backup_errors(describe(target)):
                lines = await prune_repository(
                    repo, target, _grace(grace), dry_run=dry_run, drop=frozenset(forget_ids)
                )
        finally:
            await repo.target.close()
        for line in lines:
            click.echo(line)

    run(action())


def _grace(text: str) -> timedelta:
    from syncd.config.durations import parse_duration

    try:
        return parse_duration(text)
    except ValueError as exc:
        raise ConfigError("--grace", str(exc)) from None


@click.command("restore")
@click.argument("snapshot")
@click.option("--store", "store_url", required=True, help="URL of the EMPTY store to restore into.")
@click.option(
    "--blobs",
    "blob_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Blob folder of the new store (default: blobs/ beside a SQLite database).",
)
@click.option("--site", default=None, help="Restore only this site.")
@click.option("--item", default=None, help="Restore only this item (id, SITE:KEY or URL).")
@click.option("--as-of", "as_of", default=None, help="Only what existed at this date (UTC).")
@config_option
@target_option
@click.option("--fallback", "fallback_key", default=None, help="Second configured target.")
@click.option("--local", type=click.Path(path_type=Path), default=None, help="Backup folder.")
@click.option("--s3-endpoint", default=None, help="S3 endpoint URL of the backup bucket.")
@click.option("--bucket", default=None, help="S3 bucket.")
@click.option("--prefix", default="", help="Key prefix inside the bucket.")
@click.option("--region", default="us-east-1", show_default=True, help="S3 region.")
@click.option("--recovery-key", default=None, help="Recovery key (or $SYNCD_RECOVERY_KEY).")
@click.option("--recovery-key-file", type=click.Path(path_type=Path), default=None)
def restore(
    snapshot: str,
    store_url: str,
    blob_dir: Path | None,
    site: str | None,
    item: str | None,
    as_of: str | None,
    config_file: Path | None,
    target_key: str | None,
    fallback_key: str | None,
    local: Path | None,
    s3_endpoint: str | None,
    bucket: str | None,
    prefix: str,
    region: str,
    recovery_key: str | None,
    recovery_key_file: Path | None,
) -> None:
    """Restore SNAPSHOT (an id, or `latest`) into an empty store.

    On a new machine give the backup on the command line (--local PATH, or --s3-endpoint and
    --bucket with $AWS_ACCESS_KEY_ID/$AWS_SECRET_ACCESS_KEY) and the recovery key; no
    configuration is needed. Exit status 4: restored, but something was lost (listed).
    """
    from syncd.backup.access import (
        backup_errors,
        configured_target,
        describe,
        open_configured,
        open_with_key,
        recovery_key_from,
        target_from_args,
    )
    from syncd.backup.progress_bar import progress_bar
    from syncd.backup.restore import restore_snapshot
    from syncd.backup.scope import Scope, parse_as_of

    scope = Scope(site, item, parse_as_of(as_of) if as_of else None)
    key = recovery_key_from(recovery_key, recovery_key_file)
    blobs = _blob_dir(store_url, blob_dir)
    check_can_create(blobs, "--blobs", inside=True)
    named_on_line = local is not None or s3_endpoint is not None
    config: Config | None = (
        None if named_on_line and fallback_key is None else read_config(config_file)
    )

    async def action() -> None:
        from syncd.store.blobs import LocalBlobStore
        from syncd.store.db import create_engine, upgrade
        from syncd.store.store import Store

        if named_on_line:
            if key is None:
                raise BackupFailed(
                    "give the recovery key: --recovery-key, --recovery-key-file "
                    "or $SYNCD_RECOVERY_KEY"
                )
            target, where = target_from_args(local, s3_endpoint, bucket, prefix, region)
            repo = await open_with_key(target, where, key)
        else:
            assert config is not None
            repo = await open_configured(config, target_key, recovery_key=key)
            where = describe(configured_target(config, target_key)[1])
        fallback = await open_configured(config, fallback_key) if config and fallback_key else None
        await upgrade(store_url)
        store = Store(create_engine(store_url), LocalBlobStore(blobs))
        try:
            with backup_errors(where), progress_bar() as bar:
                report = await restore_snapshot(
                    repo,
                    snapshot,
                    store,
                    scope,
                    fallback=fallback,
                    progress=bar,
                )
        finally:
            await store.close()
            await repo.target.close()
            if fallback is not None:
                await fallback.target.close()
        counts = ", ".join(f"{n} {t}" for t, n in report.rows.items() if n)
        click.echo(f"restored snapshot {report.snapshot}: {counts}; {report.blobs} blobs")
        if report.from_fallback:
            click.echo(f"{report.from_fallback} objects came from the fallback target")
        for line in report.lines():
            click.echo(line)
        if not report.complete:
            raise RestoreIncomplete(
                f"restore finished, but {len(report.lines())} things could not be "
                "restored (listed above)"
            )

    run(action())


def _blob_dir(store_url: str, given: Path | None) -> Path:
    """The new store's blob folder, once the store URL is known good and its folder writable."""
    from sqlalchemy.engine import make_url

    from syncd.config.addresses import check_store_url

    try:
        check_store_url(store_url)
    except ValueError as exc:
        raise ConfigError("--store", str(exc)) from None
    url = make_url(store_url)
    if url.get_backend_name() == "sqlite" and url.database:
        check_can_create(Path(url.database), "--store")
    if given is not None:
        return given
    if url.get_backend_name() == "sqlite" and url.database:
        return Path(url.database).resolve().parent / "blobs"
    raise ConfigError("--blobs", "a PostgreSQL store needs --blobs DIR for its blob folder")
