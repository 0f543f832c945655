"""Table fingerprints: prove from the store's own rows that a table did not change.

A fingerprint is the SHA-256 of every row rendered to text by the database itself (one
short string per row, no per-column conversion in Python), in primary-key order, after the
table's column names. Equal fingerprints mean equal rows, so a backup can name the previous
snapshot's chunks of that table instead of dumping, encoding and hashing it again; that is
what makes a backup of an unchanged store cheap.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import Table, text
from sqlalchemy.ext.asyncio import AsyncConnection

_PARTITION = 2000


def _row_text_sql(table: Table, dialect: str) -> str:
    cols = [f'"{c.name}"' for c in table.columns]
    order = ", ".join(f'"{c.name}"' for c in table.primary_key.columns)
    if dialect == "postgresql":
        # ROW(...)::text quotes and escapes each field, so no two rows render alike.
        expr = f"CAST(ROW({', '.join(cols)}) AS TEXT)"
    else:
        # quote() renders NULL, numbers, text and blobs unambiguously (text with '' escaped).
        expr = " || ',' || ".join(f"quote({c})" for c in cols)
    return f'SELECT {expr} FROM "{table.name}" ORDER BY {order}'


async def table_fingerprint(conn: AsyncConnection, table: Table) -> str:
    digest = hashlib.sha256()
    digest.update(table.name.encode() + b"\0")
    digest.update(",".join(c.name for c in table.columns).encode() + b"\0")
    result = await conn.stream(text(_row_text_sql(table, conn.dialect.name)))
    async for partition in result.partitions(_PARTITION):
        digest.update("\n".join(row[0] for row in partition).encode())
        digest.update(b"\n")
    return digest.hexdigest()
