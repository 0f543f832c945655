"""Decoding bytes to NFC text: BOMs, declared and mislabelled charsets, windows-1258, NFD."""

from __future__ import annotations

import codecs
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from connectors.text import clean_line, decode, encode_cp1258, looks_cp1258

VIETNAMESE = "Ủy ban nhân dân huyện Đắk Hà thông báo: người dân được hướng dẫn về tiền lương"

# Vietnamese letters (NFC) plus ASCII: everything windows-1258 can write.
_LETTERS = (
    "aàáảãạăằắẳẵặâầấẩẫậbcdđeèéẻẽẹêềếểễệghiìíỉĩịklmnoòóỏõọôồốổỗộơờớởỡợpqrstuùúủũụưừứửữựvxyỳýỷỹỵ"
)
vietnamese_text = st.text(
    alphabet=st.sampled_from(_LETTERS + _LETTERS.upper() + " .,:0123456789"), min_size=1
)


@given(vietnamese_text)
def test_cp1258_round_trip_with_declared_charset(text: str) -> None:
    assert decode(encode_cp1258(text), "windows-1258").text == unicodedata.normalize("NFC", text)


@given(vietnamese_text)
def test_cp1258_round_trip_detected_without_declaration(text: str) -> None:
    # Real Vietnamese text carries tone marks; a lone "Ơ" is undecidable for any detector.
    text = f"Thông báo {text} về tiền lương"
    decoded = decode(encode_cp1258(text))
    assert decoded.text == unicodedata.normalize("NFC", text), decoded.encoding


@given(vietnamese_text)
def test_cp1258_mislabelled_as_utf8_still_decodes(text: str) -> None:
    data = encode_cp1258(text + " tiếng Việt")
    assert decode(data, "utf-8").text == unicodedata.normalize("NFC", text + " tiếng Việt")


@given(vietnamese_text)
def test_nfd_utf8_comes_out_nfc(text: str) -> None:
    data = unicodedata.normalize("NFD", text).encode("utf-8")
    assert decode(data, "utf-8").text == unicodedata.normalize("NFC", text)


@given(vietnamese_text)
def test_utf8_mislabelled_as_latin1_is_read_as_utf8(text: str) -> None:
    data = (text + " Việt").encode("utf-8")
    assert decode(data, "iso-8859-1").text == unicodedata.normalize("NFC", text + " Việt")


def test_cp1258_writes_tones_as_combining_marks() -> None:
    data = encode_cp1258("Việt")
    assert data == b"Vi\xea\xf2t"  # ê precomposed, dot below (0xF2) combining
    assert looks_cp1258(data)


def test_bom_wins_over_header() -> None:
    assert decode(codecs.BOM_UTF8 + VIETNAMESE.encode(), "windows-1252").text == VIETNAMESE
    utf16 = codecs.BOM_UTF16_LE + VIETNAMESE.encode("utf-16-le")
    assert decode(utf16).source == "bom"
    assert decode(utf16).text == VIETNAMESE


def test_declaration_in_document_is_used() -> None:
    data = b'<?xml version="1.0" encoding="windows-1258"?><t>' + encode_cp1258(VIETNAMESE)
    decoded = decode(data)
    assert (decoded.source, decoded.encoding) == ("document", "cp1258")
    assert decoded.text.endswith(VIETNAMESE)
    html = b'<html><head><meta charset="windows-1258"></head>' + encode_cp1258("Tin tức")
    assert decode(html).text.endswith("Tin tức")


def test_trustworthy_header_is_honoured() -> None:
    data = encode_cp1258("Phòng Nội vụ")
    assert decode(data, "windows-1258").source == "declared"
    latin = "Großhändler café".encode("latin-1")
    assert decode(latin, "iso-8859-1").text == "Großhändler café"


def test_unknown_charset_label_is_ignored() -> None:
    assert decode("Hà Nội".encode(), "x-no-such-charset").text == "Hà Nội"


def test_clean_line_folds_whitespace_and_normalises() -> None:
    assert clean_line("  Ha\u0300  \n Nô\u0323i ") == "Hà Nội"
    assert clean_line(None) == ""


def _page(body: bytes, meta: bytes = b"") -> bytes:
    return b"<html><head>" + meta + b"</head><body><p>" + body + b"</p></body></html>"


@given(vietnamese_text, st.integers(min_value=0), st.sampled_from([b"\xff", b"\xc3", b"\xe1\x80"]))
def test_utf8_with_one_broken_sequence_stays_utf8(text: str, where: int, bad: bytes) -> None:
    # a broken byte dropped between two characters of real Vietnamese text
    text = f"{VIETNAMESE} {text}"
    cut = where % (len(text) + 1)
    data = _page(text[:cut].encode() + bad + text[cut:].encode())
    for declared, meta in (("utf-8", b""), (None, b'<meta charset="utf-8">'), (None, b"")):
        decoded = decode(data if not meta else data.replace(b"<head>", b"<head>" + meta), declared)
        expected = unicodedata.normalize("NFC", text[:cut] + "\ufffd" + text[cut:])
        assert decoded.encoding == "utf-8"
        assert expected in decoded.text
        assert decoded.replaced == len(bad)
        assert decoded.warnings == (f"{len(bad)} malformed utf-8 byte(s) replaced with U+FFFD",)


def test_damaged_utf8_beats_a_legacy_declaration() -> None:
    data = _page(VIETNAMESE.encode().replace(b" ", b" \x81", 1))
    decoded = decode(data, "windows-1258")
    assert (decoded.encoding, decoded.replaced) == ("utf-8", 1)
    assert VIETNAMESE.split(" ", 1)[1] in decoded.text


def test_clean_text_carries_no_warning() -> None:
    assert decode(VIETNAMESE.encode(), "utf-8").warnings == ()
    assert decode(encode_cp1258(VIETNAMESE), "windows-1258").warnings == ()


def test_legacy_bytes_mislabelled_utf8_are_not_taken_for_damage() -> None:
    # every tone mark of windows-1258 text is a malformed UTF-8 byte: far too many for damage
    decoded = decode(_page(encode_cp1258(VIETNAMESE)), "utf-8")
    assert (decoded.encoding, decoded.replaced) == ("cp1258", 0)
    assert VIETNAMESE in decoded.text
