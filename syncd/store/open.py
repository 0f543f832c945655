"""Building a Store from the configuration: database URL, blob backend, migrations."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from syncd.config import Config
from syncd.errors import ConfigError
from syncd.store.blobs import BlobStore, LocalBlobStore
from syncd.store.db import create_engine, default_url, migration_heads, upgrade
from syncd.store.store import Store

__all__ = ["blob_store", "migration_heads", "open_store", "state_dir", "store_url"]


def state_dir(config: Config) -> Path:
    configured = config.daemon.state_dir
    if configured == Path("state") and os.environ.get("STATE_DIRECTORY"):
        # systemd's StateDirectory= may list several folders separated by ':'
        return Path(os.environ["STATE_DIRECTORY"].split(":")[0])
    return configured


def store_url(config: Config) -> str:
    return config.daemon.store_url or default_url(state_dir(config))


def blob_store(config: Config) -> BlobStore:
    if config.daemon.blob_target is None:
        return LocalBlobStore(state_dir(config) / "blobs")
    from syncd.store.blobs_s3 import S3BlobStore
    from syncd.targets import open_target

    index, target = next(
        (i, t) for i, t in enumerate(config.backup_targets) if t.key == config.daemon.blob_target
    )
    if target.kind != "s3":
        raise ConfigError("daemon.blob_target", "blobs can only live in an s3 target")
    return S3BlobStore(open_target(target, index))


async def _schema_is_current(engine: AsyncEngine) -> bool:
    """True when the database is at the migrations' heads, so that opening it needs no
    Alembic (11 MB of modules and ~0.1 s for every `syncd backup run` and the daemon)."""
    heads = migration_heads()
    if not heads:
        return False
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
    except (SQLAlchemyError, OSError):
        return False  # a new store, or an unreachable one: upgrade() says which
    return {row[0] for row in rows} == heads


async def open_store(config: Config, *, migrate: bool = True) -> Store:
    url = store_url(config)
    engine = create_engine(url)
    if migrate and not await _schema_is_current(engine):
        await upgrade(url)
    return Store(engine, blob_store(config))
