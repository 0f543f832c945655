"""Backups to a real S3 server (SeaweedFS): through a proxy that fails on purpose, and into a
bucket with Object Lock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from backups.errors import ObjectLocked
from backups.packs import pack_path
from backups.repository import Repository
from backups.verify import verify
from syncd.backup.errors import BackupFailed
from syncd.backup.restore import restore_snapshot
from syncd.backup.schedule import backup_and_record
from syncd.backup.snapshot import run_backup
from syncd.store import schema as t
from syncd.store.store import Store
from tests.backup.helpers import FAST_SCRYPT, PASSPHRASE, content, populate
from tests.support.faulty_proxy import FaultyProxy, Mode
from tests.support.seaweed import SeaweedServer

ATTEMPTS = 3


@pytest.fixture
async def proxy(seaweed: SeaweedServer) -> AsyncIterator[FaultyProxy]:
    p = FaultyProxy(seaweed.endpoint_url)
    await p.start()
    yield p
    await p.stop()


async def _repo_through(seaweed: SeaweedServer, bucket: str, proxy: FaultyProxy) -> Repository:
    target = seaweed.target(bucket, endpoint_url=proxy.url, max_attempts=ATTEMPTS)
    try:
        return await Repository.open(target, PASSPHRASE)
    except Exception:
        return await Repository.init(target, PASSPHRASE, scrypt=FAST_SCRYPT)


@pytest.mark.parametrize("mode", ["error", "drop"])
async def test_backup_retries_through_failing_s3(
    small: Store,
    small_fresh: Store,
    seaweed: SeaweedServer,
    s3_bucket: str,
    proxy: FaultyProxy,
    mode: Mode,
) -> None:
    repo = await _repo_through(seaweed, s3_bucket, proxy)
    proxy.fail(mode, ATTEMPTS - 1)  # the backup's first upload fails twice, then passes
    result = await run_backup(small, repo)
    assert proxy.faults == ATTEMPTS - 1
    direct = await Repository.open(seaweed.target(s3_bucket), PASSPHRASE)
    assert (await direct.list_snapshots())[0].id == result.snapshot
    assert (await verify(direct, read_data=True)).ok
    assert (await restore_snapshot(direct, "latest", small_fresh)).complete
    assert await content(small_fresh) == await content(small)


@pytest.mark.parametrize("mode", ["error", "drop"])
async def test_backup_against_dead_s3_fails_loudly_and_commits_nothing(
    small: Store, seaweed: SeaweedServer, s3_bucket: str, proxy: FaultyProxy, mode: Mode
) -> None:
    repo = await _repo_through(seaweed, s3_bucket, proxy)
    first = await run_backup(small, repo)
    await populate(small, sites=1, items=3, start=50)
    proxy.fail(mode, None)
    with pytest.raises(BackupFailed):
        await backup_and_record(small, repo, "offsite")
    async with small.engine.connect() as conn:
        kinds = (await conn.execute(select(t.events.c.kind))).scalars().all()
    assert "backup.failed" in kinds
    direct = await Repository.open(seaweed.target(s3_bucket), PASSPHRASE)
    assert [s.id for s in await direct.list_snapshots()] == [first.snapshot]  # HEAD unchanged
    assert (await verify(direct, read_data=True)).ok


async def test_locked_backup_objects_cannot_be_deleted(
    small: Store, seaweed: SeaweedServer, s3_lock_bucket: str
) -> None:
    target = seaweed.target(s3_lock_bucket)
    repo = await Repository.init(target, PASSPHRASE, scrypt=FAST_SCRYPT, lock_for=timedelta(days=1))
    await run_backup(small, repo)
    packs = list(repo.index.pack_sizes())
    assert packs
    for pack in packs:
        with pytest.raises(ObjectLocked):
            await target.delete(pack_path(pack))
        assert await target.head(pack_path(pack)) is not None
