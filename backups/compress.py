"""zstd compression with optional trained dictionaries, skipped where it cannot help.

Pages of one site share most of their markup, so a dictionary trained on a sample of them
compresses each small page far better than zstd alone. Media that is already compressed is
stored as is: recompressing it costs CPU and gains nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum

import zstandard

from backups.errors import ObjectDamaged

LEVEL = 3
# Small objects without a dictionary (database chunks, lists) are few and cheap to squeeze.
SMALL_LEVEL = 19
SMALL_OBJECT = 256 * 1024
# Objects compressed with a trained dictionary are a group's pages: small, numerous and
# written once, then kept for years, so they get a slow, dense setting. zstd's level presets
# size their match tables for the whole input's window (level 13: 4 Mi-entry hash and chain
# tables, 32 MiB, and the context copies them again for every page over 32 KB: +65 MB of
# RSS). A page plus its dictionary fits a 2 MiB window; tables of 2^18 / 2^19 entries reach
# less far back into the dictionary, and the optimal parser (btopt) more than makes up for
# that. Measured on the reference corpus's pages (~27 KB): with a 1 MiB dictionary, level 13
# stores them in 13.44 MB, btopt with 2^18 / 2^20 tables in 12.45 MB; with the 0.6 MiB
# dictionary that 6 MiB of samples give, these settings store them in 12.67 MB (2^20 chains:
# 12.61 MB for a 16 MB context; 2^17 / 2^19: 12.81 MB for 8 MB) with a ~10 MB context, in
# less CPU than level 13.
DICT_PARAMS = {
    "window_log": 21,
    "hash_log": 18,
    "chain_log": 19,
    "search_log": 5,
    "min_match": 5,
    "target_length": 64,
    "strategy": zstandard.STRATEGY_BTOPT,
}
# A larger dictionary holds more of a site's recurring phrases: 1 MiB instead of 64 KiB stores
# the reference corpus's pages in 8 % fewer bytes, far more than the dictionary's own size
# (stored once per group, and capped at a tenth of what it learnt from, for small sites).
DICT_SIZE = 1024 * 1024
MIN_DICT_SIZE = 16 * 1024
# The trainer counts d-mers in a table of 2^f entries (and copies it for every candidate
# it tries): 2^18 instead of the default 2^20 takes 7 MB less at the training peak and, on
# the reference corpus (6 MiB of samples), yields a dictionary as good (12.65 MB v 12.67 MB).
TRAIN_FREQ_LOG = 18
# Below this many samples zstd's trainer fails or produces a useless dictionary.
MIN_TRAINING_SAMPLES = 16
# zstd refuses to decompress frames that claim more than this without a size hint; our objects
# always carry their content size, so this only bounds a hostile or damaged header.
MAX_OBJECT_BYTES = 1 << 31


class Codec(IntEnum):
    NONE = 0
    ZSTD = 1
    ZSTD_DICT = 2


_MAGICS: tuple[bytes, ...] = (
    b"\xff\xd8\xff",  # JPEG
    b"\x89PNG\r\n\x1a\n",  # PNG
    b"GIF87a",
    b"GIF89a",
    b"%PDF-",
    b"PK\x03\x04",  # zip, and so docx/xlsx/odt/epub
    b"\x1f\x8b",  # gzip
    b"\x28\xb5\x2f\xfd",  # zstd
    b"\xfd7zXZ\x00",  # xz
    b"BZh",  # bzip2
    b"7z\xbc\xaf\x27\x1c",
    b"Rar!\x1a\x07",
    b"OggS",
    b"ID3",  # mp3
    b"\x00\x00\x00\x18ftyp",  # mp4 family (common box size)
    b"\x00\x00\x00\x20ftyp",
)


def is_precompressed(data: bytes) -> bool:
    if data.startswith(_MAGICS):
        return True
    # RIFF containers: WebP images are compressed, WAV audio is not.
    return data[:4] == b"RIFF" and data[8:12] == b"WEBP"


def train_dictionary(samples: Sequence[bytes], size: int = DICT_SIZE) -> bytes | None:
    """A dictionary trained on `samples`, or None when there is too little to learn from."""
    if len(samples) < MIN_TRAINING_SAMPLES:
        return None
    # A dictionary much larger than a tenth of what it learnt from only repeats the samples.
    size = max(MIN_DICT_SIZE, min(size, sum(map(len, samples)) // 10))
    try:
        trained = zstandard.train_dictionary(size, list(samples), f=TRAIN_FREQ_LOG)
    except zstandard.ZstdError:
        return None
    return trained.as_bytes()


class Compressor:
    """Compression with one (optional) dictionary; reuse an instance for many objects."""

    def __init__(self, dictionary: bytes | None = None) -> None:
        self._has_dict = dictionary is not None
        if dictionary is None:
            self._compressor = zstandard.ZstdCompressor(
                level=LEVEL, write_checksum=False, write_content_size=True
            )
            self._small = zstandard.ZstdCompressor(
                level=SMALL_LEVEL, write_checksum=False, write_content_size=True
            )
            return
        params = zstandard.ZstdCompressionParameters(
            write_checksum=0, write_content_size=1, **DICT_PARAMS
        )
        self._compressor = zstandard.ZstdCompressor(
            dict_data=zstandard.ZstdCompressionDict(dictionary), compression_params=params
        )
        self._small = self._compressor

    def compress(self, data: bytes) -> tuple[Codec, bytes]:
        if not data or is_precompressed(data):
            return Codec.NONE, data
        compressor = self._small if len(data) <= SMALL_OBJECT else self._compressor
        packed = compressor.compress(data)
        if len(packed) >= len(data):
            return Codec.NONE, data
        return (Codec.ZSTD_DICT if self._has_dict else Codec.ZSTD), packed


class Decompressor:
    """Decompression with one (optional) dictionary, digested once and reused."""

    def __init__(self, dictionary: bytes | None = None) -> None:
        self._has_dict = dictionary is not None
        zdict = zstandard.ZstdCompressionDict(dictionary) if dictionary is not None else None
        self._decompressor = zstandard.ZstdDecompressor(dict_data=zdict)

    def decompress(self, codec: int, payload: bytes, what: str) -> bytes:
        if codec == Codec.NONE:
            return payload
        if codec == Codec.ZSTD_DICT and not self._has_dict:
            raise ObjectDamaged(f"{what}: compressed with a dictionary that is not available")
        if codec not in (Codec.ZSTD, Codec.ZSTD_DICT):
            raise ObjectDamaged(f"{what}: unknown codec {codec}")
        try:
            return self._decompressor.decompress(payload, max_output_size=MAX_OBJECT_BYTES)
        except zstandard.ZstdError as exc:
            raise ObjectDamaged(f"{what}: zstd payload does not decompress ({exc})") from None
