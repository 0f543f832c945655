"""Turning fetched bytes into correct text (pure).

Order of trust: a byte-order mark; then a declared charset (HTTP header, then the document's own
XML declaration or HTML meta) when the bytes agree with it; then detection. Vietnamese sites
still serve windows-1258, which writes tones as combining marks, and editors paste NFD text, so
every result is normalised to NFC.

Bytes that are UTF-8 but for a few broken sequences (a truncated paste, one stray byte) stay
UTF-8: the broken bytes become U+FFFD and the result carries a warning. Only real evidence
switches a document to another encoding, never a single bad byte.
"""

from __future__ import annotations

import codecs
import itertools
import re
import unicodedata
from dataclasses import dataclass

from charset_normalizer import from_bytes

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_XML_DECL = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_META = re.compile(rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)
# windows-1258 bytes of the five combining tone marks. After a letter they mark Vietnamese
# text; in Latin-1 or windows-1252 they are Ì ì Þ Ò ò, which almost never follow a letter.
_TONE_BYTES = frozenset(b"\xcc\xec\xde\xd2\xf2")
_LATIN = frozenset({"cp1252", "iso8859-1", "iso8859-15", "cp1250", "cp1254"})


# At least this many well-formed multi-byte characters for each malformed byte make bytes
# UTF-8 with damage rather than another encoding: legacy text is almost never valid UTF-8 by
# accident, so it has next to none, while a damaged UTF-8 page has hundreds per bad byte.
_UTF8_EVIDENCE = 8
_ESCAPED = re.compile("[\udc80-\udcff]+")
_HIGH_BYTES = bytes(range(0x80, 0x100))


@dataclass(frozen=True)
class Decoded:
    text: str  # NFC
    encoding: str  # Python codec name actually used
    source: str  # "bom", "declared", "document", "utf-8" or "detected"
    replaced: int = 0  # malformed bytes turned into U+FFFD

    @property
    def warnings(self) -> tuple[str, ...]:
        """What the caller should record with the text (empty when decoding was clean)."""
        if not self.replaced:
            return ()
        return (f"{self.replaced} malformed {self.encoding} byte(s) replaced with U+FFFD",)


def codec_name(label: str | None) -> str | None:
    """The Python codec for a charset label, or None when unknown."""
    if not label:
        return None
    try:
        return codecs.lookup(label.strip().strip("\"'")).name
    except LookupError:
        return None


def declared_in_document(data: bytes) -> str | None:
    """The charset an XML declaration or HTML meta tag names, if any (first 2 KiB only)."""
    head = data[:2048]
    match = _XML_DECL.match(head) or _META.search(head)
    return match.group(1).decode("ascii") if match else None


def _fits(data: bytes, codec: str) -> bool:
    try:
        data.decode(codec)
    except UnicodeDecodeError:
        return False
    return True


def _decoded(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        return None


def _trusted(data: bytes, codec: str | None) -> str | None:
    """The text when a declared codec is trusted: the bytes decode with it, unless it is a
    legacy codec and the bytes are also (overwhelmingly) non-ASCII UTF-8 (real single-byte
    text is almost never valid UTF-8 by accident), or it is a Latin code page and the bytes
    carry windows-1258 tones. Returns the decoded text so that a page is decoded once."""
    if codec is None:
        return None
    text = _decoded(data, codec)
    if text is None:
        return None
    if codec.startswith("utf") or data.isascii():
        return text
    if codec in _LATIN and looks_cp1258(data):
        return None
    if _fits(data, "utf-8") or damaged_utf8(data) is not None:
        return None
    return text


def damaged_utf8(data: bytes) -> tuple[str, int] | None:
    """For bytes that are not valid UTF-8: the text with each run of malformed bytes replaced
    by U+FFFD and the number of malformed bytes, when the rest is overwhelmingly UTF-8."""
    text = data.decode("utf-8", "surrogateescape")  # each malformed byte -> one lone surrogate
    bad = sum(len(run) for run in _ESCAPED.findall(text))
    high = len(data) - len(data.translate(None, _HIGH_BYTES))
    # characters beyond ASCII that decoded well: every non-ASCII char minus the escapes
    good = len(text) - (len(data) - high) - bad
    if bad == 0 or good < _UTF8_EVIDENCE * bad:
        return None
    return _ESCAPED.sub("\ufffd", text), bad


def looks_cp1258(data: bytes) -> bool:
    """True when bytes read as windows-1258 put tone marks right after letters."""
    if not _fits(data, "cp1258"):
        return False
    for before, byte in itertools.pairwise(data):
        if (
            byte in _TONE_BYTES
            and before not in _TONE_BYTES
            and (chr(before).isalpha() or before >= 0xC0)
        ):
            return True
    return False


def detect(data: bytes) -> str:
    """Guess a codec for bytes that are not valid UTF-8."""
    if looks_cp1258(data):
        return "cp1258"  # detectors rarely know windows-1258 and misread short texts
    best = from_bytes(data).best()
    return (codec_name(best.encoding) if best is not None else None) or "cp1252"


def decode(data: bytes, declared: str | None = None) -> Decoded:
    """Decode bytes to NFC text. ``declared`` is the HTTP charset parameter, if any."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return _done(data[len(bom) :].decode(codec, errors="replace"), codec, "bom")
    header = codec_name(declared)
    text = _trusted(data, header)
    if text is not None:
        assert header is not None
        return _done(text, header, "declared")
    document = codec_name(declared_in_document(data))
    text = _trusted(data, document)
    if text is not None:
        assert document is not None
        return _done(text, document, "document")
    utf8 = _decoded(data, "utf-8")
    if utf8 is not None:
        return _done(utf8, "utf-8", "utf-8")
    damaged = damaged_utf8(data)
    if damaged is not None:
        said = "declared" if header == "utf-8" else "document" if document == "utf-8" else None
        return _done(damaged[0], "utf-8", said or "utf-8", damaged[1])
    codec = detect(data)
    return _done(data.decode(codec, errors="replace"), codec, "detected")


def _done(text: str, codec: str, source: str, replaced: int = 0) -> Decoded:
    return Decoded(nfc(text), codec, source, replaced)


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


_SPACE = re.compile(r"\s+")


def clean_line(text: str | None) -> str:
    """NFC with runs of whitespace folded to one space: for titles, authors, categories."""
    return _SPACE.sub(" ", nfc(text or "")).strip()


# The five Vietnamese tone marks; windows-1258 writes them as separate combining characters.
_TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")


def encode_cp1258(text: str) -> bytes:
    """Encode text the way a Vietnamese windows-1258 page does: letters with circumflex, breve
    or horn precomposed where the code page has them, tone marks as combining characters.
    (Python's codec alone cannot encode most Vietnamese NFC or NFD text.)"""
    out: list[str] = []
    for char in nfc(text):
        try:
            char.encode("cp1258")
            out.append(char)
            continue
        except UnicodeEncodeError:
            pass
        parts = unicodedata.normalize("NFD", char)
        base = nfc("".join(c for c in parts if c not in _TONES))
        out.append(base + "".join(c for c in parts if c in _TONES))
    return "".join(out).encode("cp1258")
