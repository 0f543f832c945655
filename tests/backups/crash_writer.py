"""Child process for the kill -9 test: writes snapshots forever, announcing every write."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from backups.errors import NoRepository
from backups.repository import Repository
from backups.targets.local import LocalTarget
from tests.backups.helpers import FAST_SCRYPT, PASSPHRASE, oid, page


class AnnouncingTarget(LocalTarget):
    """Prints a line before each write so the parent can kill at a chosen write."""

    async def put(self, name: str, data: bytes) -> None:
        print("put", name, flush=True)
        await super().put(name, data)

    async def put_if_match(self, name: str, data: bytes, etag: str | None) -> str:
        print("put_if_match", name, flush=True)
        return await super().put_if_match(name, data, etag)


async def main(root: Path, seed: int) -> None:
    target = AnnouncingTarget(root)
    try:
        repo = await Repository.open(target, PASSPHRASE)
    except NoRepository:
        repo = await Repository.init(target, PASSPHRASE, pack_size=8192, scrypt=FAST_SCRYPT)
    n = seed * 10_000
    while True:
        ids = []
        for _ in range(12):
            data = page(n, words=120)
            n += 1
            await repo.add(oid(data), data, "page", dict_group="site" if n % 2 else None)
            ids.append(oid(data))
        await repo.commit_snapshot({"pages": await repo.add_refs(ids)})
        print("committed", flush=True)


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), int(sys.argv[2])))
