"""Table rows as JSON lines in chunks, and back (pure: no I/O).

A chunk holds the rows of one primary-key range, so a table that only grows (revisions,
events) changes only its last chunk and every earlier chunk deduplicates in the repository.
Tables keyed by text are spread over hash buckets whose number only changes when the table
doubles. Each chunk is written in two copies whose headers differ (so their ids differ and
they land in different packs): one damaged pack never loses a table's rows.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, Integer, Table

ROWS_PER_CHUNK = 500
COPIES = ("a", "b")


# Append-only tables whose composite key starts with an ever-growing integer: ranges of that
# integer keep old chunks unchanged. Other composite keys (fetch_state) are updated in place
# all over, so hash buckets serve them as well as anything.
_RANGE_ON_FIRST_COLUMN = frozenset({"revision_blobs"})


# Append-only tables keyed by text (a hash): chunked by position in creation order, so new rows
# land in the last chunk instead of in every hash bucket.
CREATION_ORDER = {"blobs": "created_at"}


def position_key(position: int) -> str:
    return f"n{position // ROWS_PER_CHUNK:08d}"


def integer_keyed(table: Table) -> bool:
    pk = list(table.primary_key.columns)
    if len(pk) > 1 and table.name not in _RANGE_ON_FIRST_COLUMN:
        return False
    return isinstance(pk[0].type, Integer)


def bucket_count(rows: int) -> int:
    """Hash buckets for a text-keyed table: a power of two, so it rarely changes."""
    wanted = max(1, math.ceil(rows / ROWS_PER_CHUNK))
    return 1 << (wanted - 1).bit_length()


def chunk_key(table: Table, pk: Sequence[Any], buckets: int) -> str:
    if integer_keyed(table):
        return f"{int(pk[0]) // ROWS_PER_CHUNK:08d}"
    digest = hashlib.sha256(json.dumps(list(pk), default=str).encode()).digest()
    return f"h{int.from_bytes(digest[:4], 'big') % buckets:05d}"


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.isoformat()
    raise TypeError(f"cannot dump a {type(value).__name__} value")


# One encoder for every row: values go straight to the C encoder, datetimes via `default`.
_ROW_ENCODER = json.JSONEncoder(ensure_ascii=False, default=_default)


def encode_chunk(
    table: str, key: str, copy: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> bytes:
    header = {"table": table, "chunk": key, "copy": copy, "columns": list(columns)}
    lines = [json.dumps(header, ensure_ascii=False)]
    lines += [_ROW_ENCODER.encode(list(row)) for row in rows]
    return ("\n".join(lines) + "\n").encode()


def recopy(body: bytes, copy: str) -> bytes:
    """The same chunk under another copy letter (only the header line changes)."""
    head, _, rest = body.partition(b"\n")
    header = json.loads(head)
    header["copy"] = copy
    return json.dumps(header, ensure_ascii=False).encode() + b"\n" + rest


@dataclass(frozen=True)
class Chunk:
    table: str
    key: str
    rows: list[dict[str, Any]]


def _decode_value(table: Table, column: str, value: Any) -> Any:
    if value is None or column not in table.c:
        return value
    type_ = table.c[column].type
    if isinstance(type_, DateTime) and isinstance(value, str):
        parsed = datetime.fromisoformat(value)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    if isinstance(type_, Boolean):
        return bool(value)
    return value


def decode_chunk(body: bytes, tables: Mapping[str, Table]) -> Chunk:
    """Rows as dicts of the columns today's schema still has (older dumps lose dropped ones)."""
    lines = body.decode().splitlines()
    header = json.loads(lines[0])
    table = tables[header["table"]]
    columns: list[str] = header["columns"]
    rows = []
    for line in lines[1:]:
        values = json.loads(line)
        rows.append(
            {
                c: _decode_value(table, c, v)
                for c, v in zip(columns, values, strict=True)
                if c in table.c
            }
        )
    return Chunk(header["table"], header["chunk"], rows)


def tree_name(copy: str, table: str, key: str) -> str:
    return f"db/{copy}/{table}/{key}"


def meta_name(copy: str) -> str:
    return f"db/{copy}/_meta"


BLOBS_ENTRY = "blobs"
