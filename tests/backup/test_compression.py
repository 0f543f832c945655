"""Page groups get a denser level and a dictionary sized to what it learnt from."""

from __future__ import annotations

import random

from backups.compress import (
    DICT_SIZE,
    MIN_DICT_SIZE,
    Codec,
    Compressor,
    Decompressor,
    train_dictionary,
)
from tests.backup.helpers import text


def _pages(count: int, words: int) -> list[bytes]:
    rnd = random.Random(7)
    pages = []
    for i in range(count):
        body = text(rnd.randrange(10**6), words)
        pages.append(f'<div class="article"><h1>Tin {i}</h1><p>{body}</p></div>'.encode())
    return pages


def test_dictionary_of_a_small_group_is_capped_at_a_tenth_of_its_samples() -> None:
    samples = _pages(40, 200)
    trained = train_dictionary(samples)
    assert trained is not None
    assert len(trained) <= max(MIN_DICT_SIZE, sum(map(len, samples)) // 10) < DICT_SIZE


def test_pages_round_trip_through_a_trained_dictionary() -> None:
    pages = _pages(60, 400)
    trained = train_dictionary(pages[:40])
    assert trained is not None
    with_dict, plain = Compressor(trained), Compressor()
    total_dict = total_plain = 0
    for page in pages[40:]:
        codec, packed = with_dict.compress(page)
        assert codec == Codec.ZSTD_DICT
        assert Decompressor(trained).decompress(codec, packed, "page") == page
        total_dict += len(packed)
        total_plain += len(plain.compress(page)[1])
    assert total_dict < total_plain
