"""Where each object lives: object id -> (pack, offset, length).

An index object covers a set of packs (with their sizes, so a structure check can spot a
truncated pack without downloading it). The repository keeps the union of all live index
objects in memory, compactly keyed by raw 32-byte ids, so `has` never touches the network.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import zstandard

from backups.errors import ObjectDamaged
from backups.packs import PackEntry

_COUNT = struct.Struct(">I")
_PACK = struct.Struct(">32sQ")
_ENTRY = struct.Struct(">32sIQQB")
_MAGIC = b"SYI1"


@dataclass(frozen=True)
class Location:
    pack: str
    offset: int
    length: int
    flags: int = 0


@dataclass
class IndexDoc:
    """The content of one index object: packs with their sizes and their entries."""

    packs: dict[str, int] = field(default_factory=dict)
    entries: dict[str, list[PackEntry]] = field(default_factory=dict)

    def add_pack(self, name: str, size: int, entries: list[PackEntry]) -> None:
        self.packs[name] = size
        self.entries[name] = entries

    def encode(self) -> bytes:
        names = list(self.packs)
        out = [_MAGIC, _COUNT.pack(len(names))]
        out += [_PACK.pack(bytes.fromhex(n), self.packs[n]) for n in names]
        rows = [(n, e) for n in names for e in self.entries[n]]
        out.append(_COUNT.pack(len(rows)))
        pack_no = {n: i for i, n in enumerate(names)}
        out += [
            _ENTRY.pack(bytes.fromhex(e.object_id), pack_no[n], e.offset, e.length, e.flags)
            for n, e in rows
        ]
        return zstandard.ZstdCompressor(level=3).compress(b"".join(out))

    @classmethod
    def decode(cls, blob: bytes, what: str) -> IndexDoc:
        try:
            raw = zstandard.ZstdDecompressor().decompress(blob)
            if raw[:4] != _MAGIC:
                raise ValueError("bad magic")
            pos = 4
            (n_packs,) = _COUNT.unpack_from(raw, pos)
            pos += _COUNT.size
            names: list[str] = []
            doc = cls()
            for _ in range(n_packs):
                raw_name, size = _PACK.unpack_from(raw, pos)
                pos += _PACK.size
                names.append(raw_name.hex())
                doc.add_pack(raw_name.hex(), size, [])
            (n_entries,) = _COUNT.unpack_from(raw, pos)
            pos += _COUNT.size
            for _ in range(n_entries):
                raw_id, pack_no, offset, length, flags = _ENTRY.unpack_from(raw, pos)
                pos += _ENTRY.size
                entry = PackEntry(raw_id.hex(), offset, length, flags)
                doc.entries[names[pack_no]].append(entry)
        except (zstandard.ZstdError, struct.error, ValueError, IndexError) as exc:
            raise ObjectDamaged(f"{what}: unparseable index ({exc})") from None
        return doc


class Index:
    """The merged in-memory view of every live index object."""

    def __init__(self) -> None:
        self._packs: list[str] = []
        self._pack_no: dict[str, int] = {}
        self._pack_size: list[int] = []
        self._where: dict[bytes, tuple[int, int, int, int]] = {}
        self._dropped: set[int] = set()

    def __contains__(self, object_id: str) -> bool:
        return bytes.fromhex(object_id) in self._where

    def __len__(self) -> int:
        return len(self._where)

    def merge(self, doc: IndexDoc) -> None:
        for name, size in doc.packs.items():
            self.add_pack(name, size, doc.entries.get(name, []))

    def add_pack(self, name: str, size: int, entries: Iterable[PackEntry]) -> None:
        pack_no = self._pack_no.get(name)
        if pack_no is None:
            pack_no = len(self._packs)
            self._packs.append(name)
            self._pack_no[name] = pack_no
            self._pack_size.append(size)
        for e in entries:
            # First writer wins: a duplicate copy in another pack is just unused garbage.
            where = (pack_no, e.offset, e.length, e.flags)
            self._where.setdefault(bytes.fromhex(e.object_id), where)

    def lookup(self, object_id: str) -> Location | None:
        found = self._where.get(bytes.fromhex(object_id))
        if found is None:
            return None
        pack_no, offset, length, flags = found
        return Location(self._packs[pack_no], offset, length, flags)

    def drop_packs(self, names: set[str]) -> None:
        """Forget packs (after prune deleted them); their numbers are retired, not reused."""
        gone = {self._pack_no[n] for n in names if n in self._pack_no}
        self._where = {k: v for k, v in self._where.items() if v[0] not in gone}
        self._dropped |= gone

    def pack_sizes(self) -> dict[str, int]:
        return {
            name: size
            for no, (name, size) in enumerate(zip(self._packs, self._pack_size, strict=True))
            if no not in self._dropped
        }

    def items(self) -> Iterator[tuple[str, Location]]:
        for raw, (pack_no, offset, length, flags) in self._where.items():
            yield raw.hex(), Location(self._packs[pack_no], offset, length, flags)

    def by_pack(self) -> dict[str, list[tuple[str, Location]]]:
        grouped: dict[str, list[tuple[str, Location]]] = {name: [] for name in self.pack_sizes()}
        for object_id, loc in self.items():
            grouped[loc.pack].append((object_id, loc))
        return grouped

    def to_doc(self, without: set[str] | frozenset[str] = frozenset()) -> IndexDoc:
        """One index document of everything known, less the packs in `without`."""
        doc = IndexDoc()
        sizes = self.pack_sizes()
        for pack, objects in self.by_pack().items():
            if pack not in without:
                entries = [PackEntry(o, loc.offset, loc.length, loc.flags) for o, loc in objects]
                doc.add_pack(pack, sizes[pack], entries)
        return doc
