"""Opening the store's database and bringing its schema up to date (Alembic)."""

from __future__ import annotations

import ast
import asyncio
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Column,
    Connection,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    event,
    inspect,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from syncd.errors import StoreError

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

MIGRATIONS = Path(__file__).with_name("migrations")
_REVISION = re.compile(r"^(down_)?revision\b[^=\n]*=\s*(.+?)\s*$", re.MULTILINE)


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


# SQLSTATE classes of refusals that are the operator's to fix: connection (08), login (28),
# no such database (3D), resources such as a full disk (53), an administrator's shutdown (57)
_REFUSALS = ("08", "28", "3D", "53", "57")


def refused_by_database(exc: BaseException) -> bool:
    """The database could not be reached or would not serve, for reasons of its own (not a bug
    in a query): unreachable, no such database, wrong password, read-only, disk full, locked.
    asyncpg raises some of these at connect time without SQLAlchemy's wrapper."""
    if isinstance(exc, (OSError, OperationalError)):
        return True
    state = sqlstate(exc)
    return state is not None and state.startswith(_REFUSALS)


def sqlstate(exc: BaseException) -> str | None:
    """PostgreSQL's SQLSTATE code of a failure, wrapped by SQLAlchemy or not; None if none."""
    state = getattr(getattr(exc, "orig", None) or exc, "sqlstate", None)
    return state if isinstance(state, str) else None


def database_error(exc: BaseException) -> str:
    """One line for a database failure: the driver's own message, without SQLAlchemy's
    statement echo and link."""
    cause = getattr(exc, "orig", None) or exc
    lines = str(cause).strip().splitlines()
    return lines[0] if lines else type(cause).__name__


def _alembic_config(url: str) -> AlembicConfig:
    # Alembic (~11 MB of modules) is imported only to migrate: Store imports this module, and
    # a backup or a restore into an existing store never needs it.
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migration_heads() -> frozenset[str]:
    """The head revisions of the store's migrations, read from their files without Alembic;
    empty when a file does not read plainly (then Alembic decides, as always)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        found: dict[bool, object] = {}
        for match in _REVISION.finditer(path.read_text()):
            try:
                found[bool(match[1])] = ast.literal_eval(match[2])
            except (ValueError, SyntaxError):
                return frozenset()
        revision, down = found.get(False), found.get(True)
        if not isinstance(revision, str):
            return frozenset()
        revisions.add(revision)
        if isinstance(down, str):
            parents.add(down)
        elif isinstance(down, tuple) and all(isinstance(d, str) for d in down):
            parents.update(down)
        elif down is not None:
            return frozenset()
    return frozenset(revisions - parents)


async def upgrade(url: str, revision: str = "head", *, replay: bool = False) -> None:
    """Apply every pending migration (up to `revision`). Alembic's env runs its own event
    loop, so use a thread. An empty database is given the whole schema at once instead,
    unless `replay` (the tests compare the two)."""
    if revision == "head" and not replay and await _create_if_empty(url):
        return
    from alembic import command

    try:
        await asyncio.to_thread(command.upgrade, _alembic_config(url), revision)
    except Exception as exc:
        if not refused_by_database(exc):
            raise
        raise StoreError(
            f"cannot reach the store at {make_url(url).render_as_string()}: "
            f"{database_error(exc)}"
        ) from exc


async def _create_if_empty(url: str) -> bool:
    """Create the declared schema, stamped at the migrations' single head, in a database with
    no table at all; False (nothing done) otherwise.

    A new store needs no history: loading Alembic and replaying every migration took ~0.3 s,
    most of a single-item restore. tests/store/test_migrations.py holds the declared schema
    and the migrations' result equal, so both ways build the same store."""
    heads = migration_heads()
    if len(heads) != 1:
        return False
    from syncd.store.schema import metadata

    def create(conn: Connection) -> bool:
        if inspect(conn).get_table_names():
            return False
        metadata.create_all(conn)
        version = Table(
            "alembic_version",
            MetaData(),
            Column("version_num", String(32), nullable=False),
            PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
        )
        version.create(conn)
        conn.execute(version.insert().values(version_num=next(iter(heads))))
        return True

    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            created: bool = await conn.run_sync(create)
    except (OSError, SQLAlchemyError):
        return False  # unreachable, or a race with another creator: Alembic says which
    finally:
        await engine.dispose()
    return created
