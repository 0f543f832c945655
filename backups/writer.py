"""Turning added objects into uploaded packs: compress, seal, pack, upload.

The pack being built waits in a temporary file and is streamed to the target; what is held
in memory is the bounded dictionary-training buffer and one compression context per group.
Every uploaded pack is recorded at once in the in-memory index, so `has` sees it, and in the
session's index document, which the next commit writes out.
"""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime, timedelta

from backups.compress import Codec, Compressor, is_precompressed, train_dictionary
from backups.dicts import write_dict
from backups.groups import MAX_WAITING_BYTES, GroupBuffer, Waiting
from backups.index import Index, IndexDoc
from backups.memory import tune_malloc
from backups.packs import (
    FinishedPack,
    PackBuilder,
    flags_for_type,
    pack_path,
    seal_record,
)
from backups.reader import Reader
from backups.targets.base import Target


class PackWriter:
    def __init__(
        self,
        target: Target,
        key: bytes,
        pack_size: int,
        index: Index,
        reader: Reader,
        dicts: dict[str, str],
        lock_for: timedelta | None = None,
    ) -> None:
        tune_malloc()
        self._lock_for = lock_for
        self._target = target
        self._key = key
        self._pack_size = pack_size
        self._index = index
        self._reader = reader
        self.dicts = dicts  # group -> dictionary object id
        self.session = IndexDoc()
        self.dicts_created: dict[str, str] = {}
        self._builder = PackBuilder()
        self._building: set[str] = set()
        self._groups = GroupBuffer()
        self._compressors: dict[str | None, Compressor] = {}
        # Dictionaries by id: a compressor is rebuilt from these in a few milliseconds, while
        # reading a dictionary back from the repository fetches its whole pack.
        self._dict_data: dict[str, bytes] = {}
        self.bytes_in = 0
        self.bytes_stored = 0

    def pending(self, object_id: str) -> bool:
        return object_id in self._building or object_id in self._groups

    async def add(self, object_id: str, data: bytes, type_: str, group: str | None) -> None:
        self.bytes_in += len(data)
        if group is not None and group not in self.dicts and not is_precompressed(data):
            self._building.add(object_id)
            if self._groups.hold(group, Waiting(object_id, data, type_)):
                await self._settle(group)
            elif self._groups.total_bytes > MAX_WAITING_BYTES:
                largest = self._groups.largest()
                assert largest is not None
                await self._settle(largest)
            return
        dict_id = self.dicts.get(group) if group is not None else None
        await self._store(object_id, data, type_, dict_id)

    async def _settle(self, group: str) -> None:
        """Train the group's dictionary from its waiting objects, then store them all."""
        waiting = self._groups.release(group)
        samples = [w.data for w in waiting]
        trained = await asyncio.to_thread(train_dictionary, samples)
        del samples
        dict_id: str | None = None
        if trained is not None:
            dict_id = hashlib.sha256(trained).hexdigest()
            if dict_id not in self._dict_data:
                # Apart from the data packs: losing the pack of the group's first pages must
                # not take every later page of the group with it.
                await write_dict(self._target, self._key, dict_id, trained, self._lock_for)
            self.dicts[group] = dict_id
            self.dicts_created[group] = dict_id
            self._reader.remember_dict(dict_id, trained)
            self._dict_data[dict_id] = trained
        # Oldest first, and each page let go once it sits compressed in the pack: the raw
        # pages and the pack they turn into are never both held whole.
        waiting.reverse()
        while waiting:
            w = waiting.pop()
            await self._store(w.object_id, w.data, w.type, dict_id)
            del w

    async def _store(self, object_id: str, data: bytes, type_: str, dict_id: str | None) -> None:
        if dict_id is None and None not in self._compressors:
            self._compressors[None] = Compressor()
        elif dict_id is not None and dict_id not in self._compressors:
            raw = self._dict_data.get(dict_id)
            if raw is None:
                raw = self._dict_data[dict_id] = await self._reader.dictionary(dict_id)
            self._compressors[dict_id] = Compressor(raw)
        # Compression (zstd releases the GIL) and sealing run in a worker thread, so a long
        # first backup never stalls the event loop that the daemon's mirror passes share.
        record = await asyncio.to_thread(self._seal, object_id, data, type_, dict_id)
        await self.add_record(object_id, record, flags_for_type(type_))

    async def add_record(self, object_id: str, record: bytes, flags: int) -> None:
        """Put a sealed record into the pack being built (a record does not depend on its
        pack, so one read intact from a damaged pack is copied as it is)."""
        if len(self._builder) and self._builder.size + len(record) > self._pack_size:
            await self._upload()
        self._builder.add(object_id, record, flags)
        self._building.add(object_id)
        if self._builder.size >= self._pack_size:
            await self._upload()

    def _seal(self, object_id: str, data: bytes, type_: str, dict_id: str | None) -> bytes:
        codec, payload = self._compressors[dict_id].compress(data)
        # A dictionary only shows in the header when it was actually used.
        used_dict = dict_id if codec == Codec.ZSTD_DICT else None
        return seal_record(self._key, object_id, type_, codec, used_dict, payload)

    async def _upload(self) -> None:
        if not len(self._builder):
            return
        pack: FinishedPack = self._builder.finish(self._key)
        try:
            await self._target.put(pack_path(pack.name), pack.file)
        finally:
            pack.close()
        if self._lock_for is not None:
            await self._target.lock_until(pack_path(pack.name), datetime.now(UTC) + self._lock_for)
        self.bytes_stored += pack.size
        self._index.add_pack(pack.name, pack.size, pack.entries)
        self.session.add_pack(pack.name, pack.size, pack.entries)
        self._building.difference_update(e.object_id for e in pack.entries)

    async def flush(self) -> None:
        for group in self._groups.groups():
            await self._settle(group)
        await self._upload()
        # Compression contexts hold match tables (~10 MB with a dictionary, ~5 MB at level 19
        # for the database chunks): let them go at every flush, so the dump's context is not
        # kept through the blob upload, nor a group's between backups (the daemon keeps this
        # writer while it runs). The next object that needs one rebuilds it in milliseconds.
        self._compressors.clear()

    def take_session(self) -> IndexDoc:
        doc, self.session = self.session, IndexDoc()
        return doc
