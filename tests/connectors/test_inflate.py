"""Content-Encoding decoders (pure): any split of the bytes sent, bounded pieces."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable

import brotli
import pytest

from connectors.http.inflate import decoder_for

PAGE = ("<p>Ủy ban nhân dân huyện Đắk Hà</p>" * 3000).encode()


def raw_deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    return packer.compress(data) + packer.flush()


CODINGS: list[tuple[str, Callable[[bytes], bytes]]] = [
    ("gzip", gzip.compress),
    ("deflate", zlib.compress),
    ("deflate", raw_deflate),
    ("br", brotli.compress),
]


@pytest.mark.parametrize(("coding", "pack"), CODINGS, ids=["gzip", "zlib", "raw", "br"])
@pytest.mark.parametrize("step", [1, 7, 4096])
def test_any_split_of_the_bytes_decodes(
    coding: str, pack: Callable[[bytes], bytes], step: int
) -> None:
    packed = pack(PAGE)
    decoder = decoder_for(coding)
    pieces = [
        piece
        for start in range(0, len(packed), step)
        for piece in decoder.feed(packed[start : start + step], 1024)
    ]
    decoder.finish()
    assert b"".join(pieces) == PAGE
    if coding != "br":  # zlib honours the limit exactly; brotli grows past it in steps
        assert max(len(piece) for piece in pieces) <= 1024
