"""The migrations build exactly the schema the code declares, on every backend."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

from syncd.store.db import create_engine, upgrade
from syncd.store.schema import metadata


async def test_migrations_match_schema_and_rerun_is_harmless(store_url: str) -> None:
    await upgrade(store_url)
    await upgrade(store_url)  # a second run finds nothing to do

    def diff(conn: Connection) -> list[object]:
        return list(compare_metadata(MigrationContext.configure(conn), metadata))

    engine = create_engine(store_url)
    try:
        async with engine.connect() as conn:
            assert await conn.run_sync(diff) == []
    finally:
        await engine.dispose()
