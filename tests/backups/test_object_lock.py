"""Object Lock: with `lock_for`, history cannot be deleted, and prune copes with that."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from backups.errors import ObjectLocked
from backups.packs import pack_path
from backups.prune import forget, mark, sweep
from backups.repository import Repository
from backups.retention import RetentionPolicy
from backups.verify import verify
from tests.backups.helpers import FAST_SCRYPT, PASSPHRASE, SMALL_PACK, add_all, page
from tests.support.seaweed import SeaweedServer


async def test_locked_history_survives_delete_and_prune(
    seaweed: SeaweedServer, s3_lock_bucket: str
) -> None:
    target = seaweed.target(s3_lock_bucket)
    try:
        repo = await Repository.init(
            target,
            PASSPHRASE,
            pack_size=SMALL_PACK,
            scrypt=FAST_SCRYPT,
            lock_for=timedelta(days=1),
        )
        first = await add_all(repo, [page(i) for i in range(5)])
        await repo.commit_snapshot({"a": first[0]})
        await add_all(repo, [page(100 + i) for i in range(5)])
        await repo.commit_snapshot({"b": await repo.add_refs([])})
        pack = next(iter(repo.index.pack_sizes()))
        with pytest.raises(ObjectLocked):
            await target.delete(pack_path(pack))

        await forget(repo, RetentionPolicy(last=1))
        repo = await Repository.open(target, PASSPHRASE)
        doomed = await mark(repo)
        assert doomed
        await sweep(repo, timedelta(0), now=datetime.now(UTC) + timedelta(seconds=1))
        for name in doomed:
            assert await target.head(pack_path(name)) is not None  # still there, locked
        again = await Repository.open(target, PASSPHRASE)
        assert (await verify(again, read_data=True)).ok
        assert len(await again.list_snapshots()) == 1
    finally:
        await target.close()
