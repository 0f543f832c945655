"""Opening the store's database and bringing its schema up to date (Alembic)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from syncd.errors import StoreError

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

MIGRATIONS = Path(__file__).with_name("migrations")


def default_url(state_dir: Path) -> str:
    return f"sqlite+aiosqlite:///{(state_dir / 'syncd.db').resolve()}"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    # WAL lets readers work during a mirror pass; FULL makes every commit survive power loss.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def create_engine(url: str) -> AsyncEngine:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreError(f"store URL {url!r} is not a database URL") from exc
    if parsed.get_backend_name() == "sqlite":
        if parsed.database:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() != "postgresql":
        raise StoreError(f"store URL {url!r}: only sqlite and postgresql are supported")
    try:
        return create_async_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)
    except NoSuchModuleError as exc:
        raise StoreError(f"store URL {url!r}: use postgresql+asyncpg://") from exc


def _alembic_config(url: str) -> AlembicConfig:
    # Alembic (~11 MB of modules) is imported only to migrate: Store imports this module, and
    # a backup or a restore into an existing store never needs it.
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


async def upgrade(url: str, revision: str = "head") -> None:
    """Apply every pending migration (up to `revision`). Alembic's env runs its own event
    loop, so use a thread."""
    from alembic import command

    try:
        await asyncio.to_thread(command.upgrade, _alembic_config(url), revision)
    except OSError as exc:
        raise StoreError(
            f"cannot reach the store at {make_url(url).render_as_string()}: {exc}"
        ) from exc
