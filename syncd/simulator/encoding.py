"""Vietnamese in windows-1258, which has precomposed base letters but separate tone marks."""

from __future__ import annotations

import unicodedata

# The five tones cp1258 stores as combining characters after the letter.
TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")


def _to_cp1258_form(ch: str) -> str:
    """Split a letter into what cp1258 can hold: base (with circumflex/breve/horn) + tone."""
    decomposed = unicodedata.normalize("NFD", ch)
    tones = "".join(c for c in decomposed if c in TONE_MARKS)
    rest = "".join(c for c in decomposed if c not in TONE_MARKS)
    return unicodedata.normalize("NFC", rest) + tones


def encode_cp1258(text: str) -> bytes:
    """Encode text as windows-1258; characters it cannot hold at all become '?'."""
    out = bytearray()
    for ch in text:
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            out += _to_cp1258_form(ch).encode("cp1258", errors="replace")
    return bytes(out)


def decode_cp1258(data: bytes) -> str:
    """Decode windows-1258 and recompose tone marks (NFC), as a careful reader would."""
    return unicodedata.normalize("NFC", data.decode("cp1258"))
