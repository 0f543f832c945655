"""Reading the store for a snapshot: every table (but `documents`) as chunks, and the blobs
it holds.

Everything is read inside one transaction, so the rows and the blob list describe one moment
(REPEATABLE READ on PostgreSQL; an explicit read transaction on SQLite, whose driver would
otherwise run each SELECT in its own snapshot).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncResult

from syncd.backup.rows import (
    CREATION_ORDER,
    ROWS_PER_CHUNK,
    bucket_count,
    chunk_key,
    encode_chunk,
    integer_keyed,
    position_key,
)
from syncd.store import schema as t


@dataclass(frozen=True)
class DumpedChunk:
    table: str
    key: str
    rows: int
    body: bytes  # copy "a"


@dataclass(frozen=True, slots=True)  # one per blob of the store, held through a backup
class BlobRow:
    sha: str
    size: int
    content_type: str | None


# Every table but `documents` and `store_meta`: the documents' content goes into the snapshot
# as blobs (each has its `blobs` row), and a restore writes it back as blob files, which the
# store reads; the store's id goes into the snapshot's manifest.
BACKED_UP_TABLES: tuple[Table, ...] = tuple(
    table for table in t.metadata.sorted_tables if table not in (t.documents, t.store_meta)
)


@asynccontextmanager
async def read_snapshot(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    async with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execution_options(isolation_level="REPEATABLE READ")
            await conn.begin()
        else:
            await conn.exec_driver_sql("BEGIN")
        try:
            yield conn
        finally:
            await conn.rollback()


async def alembic_revision(conn: AsyncConnection) -> str | None:
    try:
        row = (await conn.execute(text("SELECT version_num FROM alembic_version"))).first()
    except Exception:  # a store created without Alembic (tests): no revision to record
        return None
    return str(row[0]) if row else None


async def dump_tables(
    conn: AsyncConnection, skip: frozenset[str] = frozenset()
) -> AsyncIterator[DumpedChunk]:
    for table in BACKED_UP_TABLES:
        if table.name in skip:
            continue
        pk = list(table.primary_key.columns)
        if table.name in CREATION_ORDER:
            order = [table.c[CREATION_ORDER[table.name]], *pk]
            keyed = _by_position(await conn.stream(select(*table.columns).order_by(*order)))
        elif integer_keyed(table):
            keyed = _by_key(table, await conn.stream(select(*table.columns).order_by(*pk)), 1)
        else:
            count = (await conn.execute(select(func.count()).select_from(table))).scalar_one()
            rows = (await conn.execute(select(*table.columns).order_by(*pk))).all()
            buckets = bucket_count(int(count))
            keyed = _grouped(table, rows, buckets)
        async for key, group in keyed:
            body = encode_chunk(table.name, key, "a", [c.name for c in table.columns], group)
            yield DumpedChunk(table.name, key, len(group), body)


async def _rows(result: AsyncResult[Any]) -> AsyncIterator[Any]:
    # Rows arrive in partitions: one hop to the database driver per partition, not per row.
    async for partition in result.partitions(ROWS_PER_CHUNK):
        for row in partition:
            yield row


async def _by_position(result: AsyncResult[Any]) -> AsyncIterator[tuple[str, list[Any]]]:
    rows: list[Any] = []
    position = 0
    async for row in _rows(result):
        rows.append(tuple(row))
        position += 1
        if position % ROWS_PER_CHUNK == 0:
            yield position_key(position - 1), rows
            rows = []
    if rows:
        yield position_key(position - 1), rows


async def _by_key(
    table: Table, result: AsyncResult[Any], buckets: int
) -> AsyncIterator[tuple[str, list[Any]]]:
    """Consecutive rows (in key order) that share a chunk key."""
    pk = [c.name for c in table.primary_key.columns]
    current: str | None = None
    rows: list[Any] = []
    async for row in _rows(result):
        key = chunk_key(table, [row._mapping[c] for c in pk], buckets)
        if current is not None and key != current:
            yield current, rows
            rows = []
        current = key
        rows.append(tuple(row))
    if current is not None:
        yield current, rows


async def _grouped(
    table: Table, rows: Sequence[Any], buckets: int
) -> AsyncIterator[tuple[str, list[Any]]]:
    pk = [c.name for c in table.primary_key.columns]
    grouped: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        grouped[chunk_key(table, [row._mapping[c] for c in pk], buckets)].append(tuple(row))
    for key in sorted(grouped):
        yield key, grouped[key]


async def blob_rows(conn: AsyncConnection) -> list[BlobRow]:
    rows = await conn.execute(
        select(t.blobs.c.sha, t.blobs.c.size, t.blobs.c.content_type).order_by(t.blobs.c.created_at)
    )
    # the driver returns a new string per row; a few content types are shared by all
    types: dict[str | None, str | None] = {}
    return [
        BlobRow(r.sha, int(r.size), types.setdefault(r.content_type, r.content_type)) for r in rows
    ]


async def blob_sites(conn: AsyncConnection) -> dict[str, str]:
    """Blob id -> key of the site whose revisions use it (documents first, then media)."""
    site_of: dict[str, str] = {}
    docs = (
        select(t.revisions.c.content_sha, t.sites.c.key)
        .join(t.items, t.items.c.id == t.revisions.c.item_id)
        .join(t.sites, t.sites.c.id == t.items.c.site_id)
        .where(t.revisions.c.content_sha.is_not(None))
    )
    media = (
        select(t.revision_blobs.c.sha, t.sites.c.key)
        .join(t.revisions, t.revisions.c.id == t.revision_blobs.c.revision_id)
        .join(t.items, t.items.c.id == t.revisions.c.item_id)
        .join(t.sites, t.sites.c.id == t.items.c.site_id)
    )
    for query in (docs, media):
        for sha, key in (await conn.execute(query)).all():
            site_of.setdefault(sha, key)
    return site_of


async def previous_documents(conn: AsyncConnection) -> dict[str, str]:
    """Document blob -> the document of the same item's previous revision (delta bases)."""
    prev = t.revisions.alias("prev")
    query = (
        select(t.revisions.c.content_sha, prev.c.content_sha)
        .join(
            prev,
            (prev.c.item_id == t.revisions.c.item_id) & (prev.c.seq == t.revisions.c.seq - 1),
        )
        .where(t.revisions.c.content_sha.is_not(None), prev.c.content_sha.is_not(None))
    )
    out: dict[str, str] = {}
    for sha, base in (await conn.execute(query)).all():
        if sha != base:
            out.setdefault(sha, base)
    return out
