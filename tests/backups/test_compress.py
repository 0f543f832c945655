from __future__ import annotations

import gzip
import io
import zipfile

import pytest

from backups.compress import (
    Codec,
    Compressor,
    Decompressor,
    is_precompressed,
    train_dictionary,
)
from backups.errors import ObjectDamaged
from tests.backups.helpers import jpeg, page


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("word/document.xml", "<w:document/>" * 100)
    return buf.getvalue()


@pytest.mark.parametrize(
    "data",
    [
        jpeg(1, 100),
        b"\x89PNG\r\n\x1a\n" + b"\0" * 100,
        b"GIF89a" + b"\0" * 100,
        b"RIFF\x10\0\0\0WEBPVP8 " + b"\0" * 100,
        b"%PDF-1.7\n" + b"\0" * 100,
        _zip(),
        gzip.compress(b"x" * 1000),
    ],
)
def test_media_is_stored_as_is(data: bytes) -> None:
    assert is_precompressed(data)
    assert Compressor().compress(data) == (Codec.NONE, data)


def test_text_compresses_and_riff_wave_is_not_media() -> None:
    assert not is_precompressed(b"RIFF\x10\0\0\0WAVEfmt ")
    codec, packed = Compressor().compress(page(1))
    assert codec == Codec.ZSTD and len(packed) < len(page(1)) // 2
    assert Decompressor().decompress(codec, packed, "x") == page(1)


def test_incompressible_data_is_stored_as_is() -> None:
    data = jpeg(2)[4:]  # random bytes without a media signature
    assert Compressor().compress(data) == (Codec.NONE, data)


def test_trained_dictionary_beats_plain_zstd_on_small_pages() -> None:
    samples = [page(i, words=60) for i in range(100)]
    trained = train_dictionary(samples)
    assert trained is not None
    probe = page(1000, words=60)
    plain = Compressor().compress(probe)[1]
    codec, with_dict = Compressor(trained).compress(probe)
    assert codec == Codec.ZSTD_DICT and len(with_dict) < len(plain)
    assert Decompressor(trained).decompress(codec, with_dict, "x") == probe
    with pytest.raises(ObjectDamaged, match="dictionary"):
        Decompressor().decompress(codec, with_dict, "x")


def test_too_few_samples_train_nothing() -> None:
    assert train_dictionary([page(i) for i in range(3)]) is None
