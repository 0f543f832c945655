"""The migrations build exactly the schema the code declares, on every backend."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import Connection

from syncd.store.db import create_engine, migration_heads, upgrade
from syncd.store.schema import metadata


def _schema_diff(conn: Connection) -> list[object]:
    return list(compare_metadata(MigrationContext.configure(conn), metadata))


def _versions(conn: Connection) -> set[str]:
    return {row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))}


async def _inspect(url: str) -> tuple[list[object], set[str]]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(_schema_diff), await conn.run_sync(_versions)
    finally:
        await engine.dispose()


async def test_migrations_match_schema_and_rerun_is_harmless(store_url: str) -> None:
    await upgrade(store_url, replay=True)  # every migration, through Alembic
    await upgrade(store_url)  # a second run finds nothing to do
    diff, versions = await _inspect(store_url)
    assert diff == []
    assert versions == migration_heads()


async def test_a_new_store_is_created_whole_and_stamped_at_the_head(store_url: str) -> None:
    # the shortcut for an empty database builds what the migrations build, at their head,
    # so Alembic later finds nothing to do and the next migration applies on top of it
    await upgrade(store_url)
    diff, versions = await _inspect(store_url)
    assert diff == []
    assert versions == migration_heads() and len(versions) == 1
    await upgrade(store_url, replay=True)
    assert await _inspect(store_url) == ([], versions)
