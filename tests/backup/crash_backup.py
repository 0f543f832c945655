"""Child process of the kill -9 test: `syncd backup run`, announcing every write to the target."""

from __future__ import annotations

import sys

from backups.targets.local import LocalTarget


class _Announcing(LocalTarget):
    async def put(self, name: str, data: bytes) -> None:
        print("put", name, flush=True)
        await super().put(name, data)

    async def put_if_match(self, name: str, data: bytes, etag: str | None) -> str:
        print("put_if_match", name, flush=True)
        return await super().put_if_match(name, data, etag)


if __name__ == "__main__":
    import backups.targets.local

    backups.targets.local.LocalTarget = _Announcing  # type: ignore[misc]
    from syncd.cli.main import main

    sys.argv = ["syncd", "backup", "run"]
    main()
