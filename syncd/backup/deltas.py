"""Changed pages stored as deltas against their previous revision (pure: no I/O).

Most edits to a page touch a sentence, so the new document compressed with the previous one
as its dictionary takes a small fraction of a whole copy. A delta is only kept when it beats
the raw document several times over (a rewritten page gains nothing), and chains stay short:
after MAX_DEPTH deltas in a row the next revision is stored whole, so a restore never walks
far. The map from blob to delta travels with every snapshot, chunked like an append-only
table, so unchanged parts deduplicate.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import zstandard

from syncd.backup.rows import ROWS_PER_CHUNK, encode_chunk, position_key

MAX_DEPTH = 8
MIN_GAIN = 5  # keep a delta only when it is at least this many times smaller than the page
DELTA_TABLE = "_deltas"
_COLUMNS = ("sha", "delta", "base", "depth")


@dataclass(frozen=True)
class Delta:
    delta: str  # repository object id of the delta bytes
    base: str  # blob the delta applies to
    depth: int  # 1 when the base is stored whole


def _dictionary(base: bytes) -> zstandard.ZstdCompressionDict:
    return zstandard.ZstdCompressionDict(base, dict_type=zstandard.DICT_TYPE_RAWCONTENT)


def make_delta(base: bytes, data: bytes) -> bytes | None:
    """`data` compressed against `base`, or None when that is not worth keeping."""
    delta = zstandard.ZstdCompressor(level=9, dict_data=_dictionary(base)).compress(data)
    return delta if len(delta) * MIN_GAIN < len(data) else None


def apply_delta(base: bytes, delta: bytes) -> bytes:
    return zstandard.ZstdDecompressor(dict_data=_dictionary(base)).decompress(delta)


def encode_map(deltas: dict[str, Delta]) -> list[tuple[str, bytes]]:
    """(chunk key, body of copy a) for the whole map, in the order entries were added."""
    rows = [(sha, d.delta, d.base, d.depth) for sha, d in deltas.items()]
    out = []
    for start in range(0, len(rows), ROWS_PER_CHUNK):
        key = position_key(start)
        out.append(
            (
                key,
                encode_chunk(DELTA_TABLE, key, "a", _COLUMNS, rows[start : start + ROWS_PER_CHUNK]),
            )
        )
    return out


def decode_map(body: bytes) -> dict[str, Delta]:
    lines = body.decode().splitlines()[1:]
    return {
        sha: Delta(delta, base, int(depth)) for sha, delta, base, depth in map(json.loads, lines)
    }


def map_chunks(tree: dict[str, str]) -> list[list[str]]:
    """Object ids of each chunk of the delta map named in a snapshot tree: [copy a, copy b]."""
    chunks: dict[str, list[str]] = {}
    for copy in ("a", "b"):
        prefix = f"db/{copy}/{DELTA_TABLE}/"
        for name, oid in sorted(tree.items()):
            if name.startswith(prefix):
                chunks.setdefault(name.removeprefix(prefix), []).append(oid)
    return [chunks[key] for key in sorted(chunks)]
