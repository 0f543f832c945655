"""Store fixtures: every store test runs on SQLite, and on PostgreSQL when
SYNCD_TEST_POSTGRES_URL names a server (./dev test and CI always set it)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from syncd.store.blobs import LocalBlobStore
from syncd.store.db import create_engine, upgrade
from syncd.store.store import Store

PG_URL = os.environ.get("SYNCD_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def create_pg_database(base_url: str) -> str:
    name = f"syncd_t_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(_dsn(base_url))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return make_url(base_url).set(database=name).render_as_string(hide_password=False)


async def drop_pg_database(base_url: str, url: str) -> None:
    name = make_url(url).database
    conn = await asyncpg.connect(_dsn(base_url))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@asynccontextmanager
async def empty_database(backend: str, folder: Path) -> AsyncIterator[str]:
    """The URL of a new, empty database: a SQLite file in `folder`, or a PostgreSQL database
    created on the test server and dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{folder / 'store.db'}"
        return
    assert PG_URL is not None
    url = await create_pg_database(PG_URL)
    try:
        yield url
    finally:
        await drop_pg_database(PG_URL, url)


@pytest.fixture(params=BACKENDS)
async def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    async with empty_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
async def store(store_url: str, tmp_path: Path) -> AsyncIterator[Store]:
    await upgrade(store_url)
    s = Store(create_engine(store_url), LocalBlobStore(tmp_path / "blobs"))
    await s.ensure_site("konray", "kon-ray", "dnn", "https://konray.example")
    try:
        yield s
    finally:
        await s.close()


@pytest.fixture
def blob_dir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "blobs"
