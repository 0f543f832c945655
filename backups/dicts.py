"""zstd dictionaries, stored twice apart from the data packs.

Every page of a group is compressed with its group's dictionary, so a dictionary that lived
only inside one data pack took thousands of objects down with that pack. Each dictionary is
now its own object under two prefixes (backups/copies.py), named by the sha256 of its content
as the record headers name it; the copy is sealed with that name in the associated data, so a
copy moved under another name fails to open. It is stored compressed (a dictionary is mostly
raw samples of the pages it was trained on), which keeps two copies smaller than the one
uncompressed copy a pack used to hold.

Repositories written before this kept their dictionaries as objects in a data pack; the reader
still finds those through the index.
"""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime, timedelta

import zstandard

from backups.copies import CopyProblem, copy_paths, read_either
from backups.crypto import associated_data, seal, unseal
from backups.errors import ObjectDamaged, ObjectLocked
from backups.targets.base import Target

KIND = "dict"
_LEVEL = 9  # 19 saves 40 KB more on a 0.8 MB dictionary for 15x the CPU and 4 MB of RSS
_MAX_DICT_BYTES = 1 << 28


def _ad(dict_id: str) -> bytes:
    return associated_data("zstd-dict", dict_id)


def seal_dict(key: bytes, dict_id: str, data: bytes) -> bytes:
    packed = zstandard.ZstdCompressor(level=_LEVEL, write_content_size=True).compress(data)
    return seal(key, packed, _ad(dict_id))


def open_dict(key: bytes, kind: str, dict_id: str, path: str, sealed: bytes) -> bytes:
    """A copy's dictionary, checked against its name (an `Opener` for backups/copies.py)."""
    packed = unseal(key, sealed, _ad(dict_id), path)
    try:
        data = zstandard.ZstdDecompressor().decompress(packed, max_output_size=_MAX_DICT_BYTES)
    except zstandard.ZstdError as exc:
        raise ObjectDamaged(f"{path}: does not decompress ({exc})") from None
    if hashlib.sha256(data).hexdigest() != dict_id:
        raise ObjectDamaged(f"{path}: content does not match its name")
    return data


async def write_dict(
    target: Target, key: bytes, dict_id: str, data: bytes, lock_for: timedelta | None = None
) -> None:
    sealed = await asyncio.to_thread(seal_dict, key, dict_id, data)
    for path in copy_paths(KIND, dict_id):
        try:
            await target.put(path, sealed)
        except ObjectLocked:
            # Written and locked by a session that crashed before its commit: training on
            # the same pages gave the same dictionary, and the copy there holds it.
            continue
        if lock_for is not None:
            await target.lock_until(path, datetime.now(UTC) + lock_for)


async def read_dict(target: Target, key: bytes, dict_id: str) -> tuple[bytes, list[CopyProblem]]:
    """The dictionary from its first good copy; RepositoryCorrupt when both are unusable."""
    return await read_either(target, key, KIND, dict_id, open_dict)
