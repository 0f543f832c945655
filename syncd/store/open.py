"""Building a Store from the configuration: database URL, blob backend, migrations."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from syncd.config import Config
from syncd.errors import ConfigError, NotFound, StoreError
from syncd.store.blobs import BlobStore, LocalBlobStore
from syncd.store.db import (
    create_engine,
    database_error,
    default_url,
    migration_heads,
    refused_by_database,
    sqlstate,
    upgrade,
)
from syncd.store.store import Store

__all__ = [
    "blob_store",
    "migration_heads",
    "open_existing_store",
    "open_store",
    "prepare_store",
    "state_dir",
    "store_url",
]


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


def _writable_folder(folder: Path, key: str) -> None:
    """Create `folder` if need be; a ConfigError naming `key` when it cannot be written."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(key, f"cannot create {folder}: {exc.strerror}") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ConfigError(key, f"{folder} is not writable")


def _sqlite_file(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    return Path(parsed.database)


def _sqlite_key(config: Config) -> str:
    """The setting that decides where the SQLite database lives."""
    return "daemon.store_url" if config.daemon.store_url else "daemon.state_dir"


def prepare_store(config: Config) -> str:
    """The store's URL, after making sure its local folders can be created and written, so a
    wrong state_dir is one message naming it and not a failure deep in SQLite."""
    url = store_url(config)
    database = _sqlite_file(url)
    if database is not None:
        _writable_folder(database.parent, _sqlite_key(config))
    if config.daemon.blob_target is None:
        _writable_folder(state_dir(config), "daemon.state_dir")
    return url


async def open_store(config: Config, *, migrate: bool = True) -> Store:
    """The store, created or migrated as needed: for the commands that write (run, sync)."""
    url = prepare_store(config)
    engine = create_engine(url)
    if migrate and not await _schema_is_current(engine):
        await upgrade(url)
    return Store(engine, blob_store(config))


async def open_existing_store(config: Config, *, migrate: bool = True) -> Store:
    """The store, which must exist: read-only commands never create one, so that a mistyped
    state_dir reads as 'no store' and not as a healthy empty one."""
    url = store_url(config)
    database = _sqlite_file(url)
    if database is not None and not database.is_file():
        raise _no_store(str(database))
    if database is not None and not os.access(database.parent, os.W_OK | os.X_OK):
        # SQLite writes its WAL index beside the database even to read it
        raise ConfigError(_sqlite_key(config), f"{database.parent} is not writable (SQLite "
                          "needs to write beside the store even to read it)")  # fmt: skip
    where = make_url(url).render_as_string()
    engine = create_engine(url)
    try:
        try:
            async with engine.connect() as conn:
                found = await conn.run_sync(lambda c: inspect(c).has_table("alembic_version"))
        except Exception as exc:
            if sqlstate(exc) == _NO_SUCH_DATABASE:
                raise NotFound(f"no store at {where}: the database does not exist (create it, "
                               "then run `syncd db upgrade`)") from None  # fmt: skip
            if not refused_by_database(exc):
                raise
            raise StoreError(f"cannot open the store at {where}: {database_error(exc)}") from None
        if not found:
            raise _no_store(where)
        if migrate and not await _schema_is_current(engine):
            await upgrade(url)
    except BaseException:
        await engine.dispose()
        raise
    return Store(engine, blob_store(config))


_NO_SUCH_DATABASE = "3D000"  # PostgreSQL's SQLSTATE for a database that does not exist


def _no_store(where: str) -> NotFound:
    return NotFound(f"no store at {where} (run `syncd db upgrade`, or check daemon.state_dir)")
