"""The store's own id: backup repositories record it, and refuse snapshots of another store."""

from __future__ import annotations

import secrets

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from syncd.store import schema as t

_STORE_ID = "store_id"


async def store_id(engine: AsyncEngine) -> str:
    """This store's id, made (once, whoever asks first) at first need."""
    query = select(t.store_meta.c.value).where(t.store_meta.c.name == _STORE_ID)
    async with engine.connect() as conn:
        found = (await conn.execute(query)).scalar_one_or_none()
    if found is not None:
        return str(found)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                insert(t.store_meta).values(name=_STORE_ID, value=secrets.token_hex(16))
            )
    except IntegrityError:
        pass  # another process made it first: theirs stands
    async with engine.connect() as conn:
        return str((await conn.execute(query)).scalar_one())


async def adopt_store_id(engine: AsyncEngine, value: str) -> None:
    """A restored store continues the store it was backed up from: it takes over its id."""
    async with engine.begin() as conn:
        await conn.execute(delete(t.store_meta).where(t.store_meta.c.name == _STORE_ID))
        await conn.execute(insert(t.store_meta).values(name=_STORE_ID, value=value))
