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
from collections.abc import Callable, Iterable, Mapping, Sequence
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


def _parse_time(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _converter(table: Table, column: str) -> Callable[[Any], Any] | None:
    type_ = table.c[column].type
    if isinstance(type_, DateTime):
        return _parse_time
    if isinstance(type_, Boolean):
        return bool
    return None


def decode_chunk(body: bytes, tables: Mapping[str, Table]) -> Chunk:
    """Rows as dicts of the columns today's schema still has (older dumps lose dropped ones)."""
    lines = body.decode().splitlines()
    header = json.loads(lines[0])
    table = tables[header["table"]]
    columns: list[str] = header["columns"]
    # Each column's conversion is looked up once per chunk, not once per value.
    kept = [(i, c, _converter(table, c)) for i, c in enumerate(columns) if c in table.c]
    rows = []
    # One parse of all rows as a single JSON array: one call into the C decoder, not one a row.
    for values in json.loads("[" + ",".join(lines[1:]) + "]"):
        if len(values) != len(columns):
            raise ValueError(f"chunk {header['chunk']} of {table.name}: a row has wrong width")
        rows.append(
            {
                c: (v if conv is None or v is None else conv(v))
                for i, c, conv in kept
                for v in (values[i],)
            }
        )
    return Chunk(header["table"], header["chunk"], rows)


def tree_name(copy: str, table: str, key: str) -> str:
    return f"db/{copy}/{table}/{key}"


def meta_name(copy: str) -> str:
    return f"db/{copy}/_meta"


BLOBS_ENTRY = "blobs"
