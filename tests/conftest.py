"""Fixtures shared by the whole test suite. Keep this file small: one block per real part."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.seaweed import SeaweedServer, start_seaweed
from tests.support.wordpress import WordPressSite, running_wordpress

# --- S3: one real SeaweedFS server per session, a fresh bucket per test ---------------------


@pytest.fixture(scope="session")
def seaweed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedServer]:
    server = start_seaweed(tmp_path_factory.mktemp("seaweed"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def s3_bucket(seaweed: SeaweedServer) -> str:
    """A new empty bucket (no versioning, no lock)."""
    return seaweed.create_bucket()


@pytest.fixture
def s3_lock_bucket(seaweed: SeaweedServer) -> str:
    """A new empty bucket created with Object Lock enabled (and so versioned)."""
    return seaweed.create_bucket(object_lock=True)


# --- WordPress: one real install per session (Debian's package, php -S, local MariaDB) ------


@pytest.fixture(scope="session")
def wordpress() -> Iterator[WordPressSite]:
    with running_wordpress() as site:
        yield site

# Store fixtures (SQLite always, PostgreSQL when SYNCD_TEST_POSTGRES_URL is set), for every suite.
from tests.support.stores import blob_dir, store, store_url  # noqa: E402

__all__ = ["blob_dir", "store", "store_url"]

# --- the command line: `syncd` in a subprocess, as an operator runs it -----------------------
from tests.support.cli import Cli, clean_env  # noqa: E402


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    """Runs `python -m syncd ...` in tmp_path with a clean environment (see tests/support/cli)."""
    return Cli(tmp_path, clean_env())
