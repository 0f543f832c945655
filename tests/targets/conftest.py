"""`target` / `lock_target`: the same tests run on every backend (a folder, a real S3 bucket)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from backups.targets.base import Target
from backups.targets.local import LocalTarget
from tests.support.seaweed import SeaweedServer


def _make(kind: str, request: pytest.FixtureRequest, tmp_path: Path, *, lock: bool) -> Target:
    if kind == "local":
        return LocalTarget(tmp_path / "target")
    server: SeaweedServer = request.getfixturevalue("seaweed")
    return server.target(server.create_bucket(object_lock=lock), "repo/one")


@pytest.fixture(params=["local", "s3"])
async def target(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Target]:
    made = _make(request.param, request, tmp_path, lock=False)
    yield made
    await made.close()


@pytest.fixture(params=["local", "s3"])
async def lock_target(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Target]:
    """A target that supports lock_until (for S3: a bucket created with Object Lock)."""
    made = _make(request.param, request, tmp_path, lock=True)
    yield made
    await made.close()
