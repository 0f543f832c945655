"""The unit tree as the store keeps it: a copy of the configuration, so a restored store or an
export names units without the original config file."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine

from syncd.config.model import Unit
from syncd.store import schema as t
from syncd.store.store import utcnow


async def sync_units(engine: AsyncEngine, units: Sequence[Unit]) -> None:
    """Insert or update every configured unit; units no longer configured stay (history)."""
    if not units:
        return
    now = utcnow()
    rows = [
        {"key": u.key, "name": u.name, "level": u.level, "parent_key": u.parent,
         "dissolved": u.dissolved, "successor_key": u.successor, "updated_at": now}
        for u in units
    ]  # fmt: skip
    async with engine.begin() as conn:
        insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        stmt = insert(t.units)
        stmt = stmt.on_conflict_do_update(
            index_elements=["key"],
            set_={c: stmt.excluded[c] for c in ("name", "level", "parent_key", "dissolved",
                                                 "successor_key", "updated_at")},
        )  # fmt: skip
        await conn.execute(stmt, rows)
