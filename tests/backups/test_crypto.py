from __future__ import annotations

import pytest

from backups.crypto import (
    associated_data,
    export_recovery_key,
    new_master_key,
    parse_recovery_key,
    seal,
    unseal,
    unwrap_master_key,
    wrap_master_key,
)
from backups.errors import BadRecoveryKey, ObjectDamaged, WrongKey
from tests.backups.helpers import FAST_SCRYPT

KEY = bytes(range(32))


def test_seal_round_trip_and_fresh_nonce() -> None:
    ad = associated_data("page", "ab")
    a, b = seal(KEY, b"hello", ad), seal(KEY, b"hello", ad)
    assert a != b
    assert unseal(KEY, a, ad, "x") == unseal(KEY, b, ad, "x") == b"hello"


def test_wrong_key_fails_clearly() -> None:
    sealed = seal(KEY, b"hello", associated_data("page", "ab"))
    with pytest.raises(ObjectDamaged, match="authentication failed"):
        unseal(new_master_key(), sealed, associated_data("page", "ab"), "object ab")


@pytest.mark.parametrize("position", [0, 11, 12, 20, -1])
def test_single_flipped_byte_fails(position: int) -> None:
    sealed = bytearray(seal(KEY, b"some plaintext here", associated_data("page", "ab")))
    sealed[position] ^= 0x01
    with pytest.raises(ObjectDamaged):
        unseal(KEY, bytes(sealed), associated_data("page", "ab"), "object ab")


def test_ciphertext_under_another_id_or_type_fails() -> None:
    sealed = seal(KEY, b"data", associated_data("page", "aa"))
    with pytest.raises(ObjectDamaged):
        unseal(KEY, sealed, associated_data("page", "bb"), "object bb")
    with pytest.raises(ObjectDamaged):
        unseal(KEY, sealed, associated_data("blob", "aa"), "object aa")


def test_passphrase_wraps_master_key() -> None:
    master = new_master_key()
    body = wrap_master_key(master, "secret words", "k1", FAST_SCRYPT)
    assert master not in body
    assert unwrap_master_key(body, "secret words", "k1") == master
    with pytest.raises(WrongKey, match="passphrase"):
        unwrap_master_key(body, "secret wordz", "k1")
    with pytest.raises(WrongKey):
        unwrap_master_key(body, "secret words", "k2")  # moved to another key slot


def test_recovery_key_round_trip_and_reading_aids() -> None:
    master = bytes(range(100, 132))
    text = export_recovery_key(master)
    assert len(text.split("-")) == 14 and all(len(g) == 4 for g in text.split("-"))
    assert parse_recovery_key(text) == master
    assert parse_recovery_key(text.lower().replace("-", " ")) == master
    assert parse_recovery_key(text.replace("O", "0").replace("I", "1")) == master


def test_every_single_character_typo_is_reported() -> None:
    master = bytes(range(100, 132))
    text = export_recovery_key(master).replace("-", "")
    for i, ch in enumerate(text):
        typo = "A" if ch != "A" else "B"
        with pytest.raises(BadRecoveryKey, match=r"checksum|invalid"):
            parse_recovery_key(text[:i] + typo + text[i + 1 :])


@pytest.mark.parametrize(
    ("mangle", "message"),
    [
        (lambda t: t[:-1], "55 characters, expected 56"),
        (lambda t: t + "A", "57 characters"),
        (lambda t: "?" + t[1:], "character '\\?' at position 1"),
        (lambda t: t[:5] + t[6] + t[5] + t[7:], "checksum"),
    ],
)
def test_malformed_recovery_keys(mangle: object, message: str) -> None:
    text = export_recovery_key(bytes(range(100, 132))).replace("-", "")
    assert callable(mangle)
    with pytest.raises(BadRecoveryKey, match=message):
        parse_recovery_key(mangle(text))
