"""Pack files: many small sealed objects in one stored file.

Layout of a pack:  record* || sealed trailer || u32 trailer length || b"SYP1"

Each record is a small clear header (format version, codec, type, dictionary id) followed by the
sealed compressed payload; the header is part of the associated data, so it cannot be altered
either. The trailer lists (object id, offset, length, flags) for every record, everything an
index entry holds, so an index can be rebuilt from the packs alone (backups/reindex.py). A
pack is named by the sha256 of its bytes: anyone can check its integrity without the key.
"""

from __future__ import annotations

import hashlib
import struct
import tempfile
from dataclasses import dataclass
from typing import IO

from backups.compress import Codec
from backups.crypto import associated_data, seal, unseal
from backups.errors import ObjectDamaged

PACK_SIZE = 16 * 1024 * 1024
RECORD_VERSION = 1
PACK_MAGIC = b"SYP1"
NO_DICT = bytes(32)
_FOOTER = struct.Struct(">I4s")
_ENTRY = struct.Struct(">32sQQB")

# Entry flags let prune find the objects it must look into (refs) or always keep (dicts)
# from the index alone, without downloading packs.
FLAG_REFS = 1
FLAG_DICT = 2
REFS_TYPE = "refs"
# Dictionaries were objects in data packs before they were stored apart (backups/dicts.py);
# such repositories are still read, and prune still keeps those objects.
DICT_TYPE = "zstd-dict"


def flags_for_type(type_: str) -> int:
    return {REFS_TYPE: FLAG_REFS, DICT_TYPE: FLAG_DICT}.get(type_, 0)


_TRAILER_AD = associated_data("pack-trailer", "")


def pack_path(name: str) -> str:
    return f"data/{name[:2]}/{name}"


# Slotted: a backup holds one per object it writes (~25,000 at 1 GB of content).
@dataclass(frozen=True, slots=True)
class PackEntry:
    object_id: str
    offset: int
    length: int
    flags: int = 0


@dataclass(frozen=True)
class FinishedPack:
    name: str
    # The pack's bytes, positioned at the start, in a temporary file (on disk past 1 MiB):
    # the writer streams it to the target instead of holding a 16 MiB pack in memory.
    file: IO[bytes]
    size: int
    entries: list[PackEntry]

    @property
    def data(self) -> bytes:
        """The whole pack in memory (for tools and tests; the writer streams `file`)."""
        self.file.seek(0)
        data = self.file.read()
        self.file.seek(0)
        return data

    def close(self) -> None:
        self.file.close()


@dataclass(frozen=True)
class Record:
    type: str
    codec: Codec
    dict_id: str | None
    payload: bytes


def _header(type_: str, codec: Codec, dict_id: str | None) -> bytes:
    raw_type = type_.encode()
    if not 0 < len(raw_type) < 256:
        raise ValueError(f"object type must be 1..255 bytes, got {type_!r}")
    raw_dict = bytes.fromhex(dict_id) if dict_id else NO_DICT
    return bytes([RECORD_VERSION, int(codec), len(raw_type)]) + raw_type + raw_dict


def seal_record(
    key: bytes, object_id: str, type_: str, codec: Codec, dict_id: str | None, payload: bytes
) -> bytes:
    header = _header(type_, codec, dict_id)
    return header + seal(key, payload, associated_data(type_, object_id) + header)


def open_record(key: bytes, object_id: str, record: bytes) -> Record:
    what = f"object {object_id}"
    if len(record) < 3 or record[0] != RECORD_VERSION:
        raise ObjectDamaged(f"{what}: bad record header")
    type_len = record[2]
    header_len = 3 + type_len + 32
    if len(record) < header_len:
        raise ObjectDamaged(f"{what}: truncated record header")
    try:
        type_ = record[3 : 3 + type_len].decode()
        codec = Codec(record[1])
    except (UnicodeDecodeError, ValueError):
        raise ObjectDamaged(f"{what}: bad record header") from None
    header = record[:header_len]
    raw_dict = record[3 + type_len : header_len]
    payload = unseal(key, record[header_len:], associated_data(type_, object_id) + header, what)
    dict_id = None if raw_dict == NO_DICT else raw_dict.hex()
    return Record(type_, codec, dict_id, payload)


# Smaller packs (a no-change backup's two meta packs) never touch the disk.
_SPOOL_IN_MEMORY = 1024 * 1024


class PackBuilder:
    """Accumulates records in a temporary file, hashing them on the way in.

    Only the record being added is in memory, so a backup's memory does not grow with the
    pack size; the file lives in the page cache, which the kernel reclaims as it needs.
    """

    def __init__(self) -> None:
        self._file: IO[bytes] | None = None
        self._hash = hashlib.sha256()
        self._size = 0
        self._entries: list[PackEntry] = []

    @property
    def size(self) -> int:
        return self._size

    def __len__(self) -> int:
        return len(self._entries)

    def _write(self, data: bytes) -> None:
        if self._file is None:
            # Closed by FinishedPack.close once uploaded; it outlives this builder's pack.
            self._file = tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY)  # noqa: SIM115
        self._file.write(data)
        self._hash.update(data)
        self._size += len(data)

    def add(self, object_id: str, record: bytes, flags: int = 0) -> None:
        self._entries.append(PackEntry(object_id, self._size, len(record), flags))
        self._write(record)

    def finish(self, key: bytes) -> FinishedPack:
        trailer = b"".join(
            _ENTRY.pack(bytes.fromhex(e.object_id), e.offset, e.length, e.flags)
            for e in self._entries
        )
        sealed = seal(key, trailer, _TRAILER_AD)
        self._write(sealed)
        self._write(_FOOTER.pack(len(sealed), PACK_MAGIC))
        assert self._file is not None
        self._file.seek(0)
        pack = FinishedPack(self._hash.hexdigest(), self._file, self._size, self._entries)
        self._file = None
        self._hash = hashlib.sha256()
        self._size = 0
        self._entries = []
        return pack


def read_trailer(key: bytes, name: str, data: bytes) -> list[PackEntry]:
    """The entries a pack declares about itself (needs the key)."""
    what = f"pack {name}"
    if len(data) < _FOOTER.size:
        raise ObjectDamaged(f"{what}: too short for a pack")
    length, magic = _FOOTER.unpack_from(data, len(data) - _FOOTER.size)
    start = len(data) - _FOOTER.size - length
    if magic != PACK_MAGIC or start < 0:
        raise ObjectDamaged(f"{what}: no pack trailer")
    trailer = unseal(key, data[start : len(data) - _FOOTER.size], _TRAILER_AD, f"{what} trailer")
    if len(trailer) % _ENTRY.size:
        raise ObjectDamaged(f"{what}: malformed trailer")
    return [
        PackEntry(raw.hex(), offset, size, flags)
        for raw, offset, size, flags in _ENTRY.iter_unpack(trailer)
    ]
