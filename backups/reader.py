"""Reading objects back: locate in the index, fetch the pack, authenticate, decompress, check id.

Targets have no ranged reads yet, so a read fetches the object's whole pack; the last pack is
kept (one pack, ~16 MiB) so that reading neighbours costs nothing. `read_many` groups requests
by pack and yields an error per object instead of stopping, so a restore reads past damage.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable

from backups.compress import Decompressor
from backups.dicts import read_dict
from backups.errors import BackupError, ObjectDamaged, ObjectMissing, RepositoryCorrupt
from backups.index import Index, Location
from backups.packs import open_record, pack_path
from backups.targets.base import Target


class Reader:
    def __init__(self, target: Target, key: bytes, index: Index) -> None:
        self._target = target
        self._key = key
        self.index = index
        self._decompressors: dict[str | None, Decompressor] = {None: Decompressor()}
        self._cached: tuple[str, bytes] | None = None

    def remember_dict(self, dict_id: str, data: bytes) -> None:
        self._decompressors[dict_id] = Decompressor(data)

    def forget_cache(self) -> None:
        self._cached = None

    async def fetch_pack(self, pack: str, verify: bool = False) -> bytes:
        if self._cached is not None and self._cached[0] == pack:
            data = self._cached[1]
        else:
            self._cached = None  # let the previous pack go before the next one arrives
            try:
                data = await self._target.get(pack_path(pack))
            except ObjectMissing:
                raise ObjectDamaged(f"pack {pack} is missing") from None
            self._cached = (pack, data)
        if verify and hashlib.sha256(data).hexdigest() != pack:
            raise ObjectDamaged(f"pack {pack}: content does not match its name")
        return data

    async def dictionary(self, dict_id: str) -> bytes:
        try:
            data, _ = await read_dict(self._target, self._key, dict_id)
            return data
        except RepositoryCorrupt:
            if self.index.lookup(dict_id) is None:
                raise
        # A repository written before dictionaries were stored apart keeps them in a pack.
        return await self.read(dict_id)

    async def _decompressor(self, dict_id: str | None) -> Decompressor:
        found = self._decompressors.get(dict_id)
        if found is None:
            assert dict_id is not None
            found = Decompressor(await self.dictionary(dict_id))
            self._decompressors[dict_id] = found
        return found

    async def open_in_pack(self, object_id: str, loc: Location, pack_data: bytes) -> bytes:
        record = pack_data[loc.offset : loc.offset + loc.length]
        if len(record) != loc.length:
            raise ObjectDamaged(f"object {object_id}: pack {loc.pack} is truncated")
        opened = open_record(self._key, object_id, record)
        what = f"object {object_id}"
        try:
            decompressor = await self._decompressor(opened.dict_id)
        except BackupError as exc:
            raise ObjectDamaged(f"{what}: its dictionary is unreadable ({exc})") from None
        plain = decompressor.decompress(opened.codec, opened.payload, what)
        if hashlib.sha256(plain).hexdigest() != object_id:
            raise ObjectDamaged(f"{what}: content does not match its id")
        return plain

    def locate(self, object_id: str) -> Location:
        loc = self.index.lookup(object_id)
        if loc is None:
            raise ObjectMissing(f"object {object_id} is not in the repository")
        return loc

    async def read(self, object_id: str, verify_pack: bool = False) -> bytes:
        loc = self.locate(object_id)
        data = await self.fetch_pack(loc.pack, verify=verify_pack)
        return await self.open_in_pack(object_id, loc, data)

    async def read_many(
        self, object_ids: Iterable[str]
    ) -> AsyncIterator[tuple[str, bytes | BackupError]]:
        by_pack: dict[str, list[tuple[str, Location]]] = defaultdict(list)
        for object_id in dict.fromkeys(object_ids):
            loc = self.index.lookup(object_id)
            if loc is None:
                yield object_id, ObjectMissing(f"object {object_id} is not in the repository")
            else:
                by_pack[loc.pack].append((object_id, loc))
        for pack, wanted in by_pack.items():
            try:
                data = await self.fetch_pack(pack)
            except BackupError as exc:
                for object_id, _ in wanted:
                    yield object_id, ObjectDamaged(f"object {object_id}: {exc}")
                continue
            for object_id, loc in wanted:
                try:
                    yield object_id, await self.open_in_pack(object_id, loc, data)
                except BackupError as exc:
                    yield object_id, exc
