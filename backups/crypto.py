"""Keys and authenticated encryption for repository objects.

Every stored object is sealed on its own with AES-256-GCM under the repository's master key, a
fresh random 96-bit nonce, and associated data naming what the object is (its kind and id), so
a ciphertext moved to another name or swapped with another object fails to open. The master key
itself is stored only wrapped by a passphrase-derived key (scrypt), and can be written down as
a recovery key string that alone opens the repository.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from backups.digest import body_digest, check_digest
from backups.errors import BadRecoveryKey, ObjectDamaged, WrongKey

KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
SEAL_OVERHEAD = NONCE_BYTES + TAG_BYTES

# The recovery key carries a short checksum so that a mistyped character is reported as a
# typo instead of surfacing later as "wrong key".
_CHECKSUM_BYTES = 3
_GROUP = 4
_B32_ALPHABET = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
# Characters people confuse with base32 letters when copying from paper.
_LOOKALIKES = str.maketrans({"0": "O", "1": "I", "8": "B"})


def new_master_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def associated_data(kind: str, object_id: str) -> bytes:
    # A NUL separator keeps ("ab", "c") and ("a", "bc") distinct.
    return kind.encode() + b"\0" + object_id.encode()


def seal(key: bytes, plaintext: bytes, ad: bytes) -> bytes:
    """nonce || ciphertext || tag."""
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, ad)


def unseal(key: bytes, sealed: bytes, ad: bytes, what: str) -> bytes:
    """Open a sealed blob; raise ObjectDamaged naming `what` when it does not authenticate."""
    if len(sealed) < SEAL_OVERHEAD:
        raise ObjectDamaged(f"{what}: too short to be an encrypted object ({len(sealed)} bytes)")
    try:
        return AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], ad)
    except InvalidTag:
        raise ObjectDamaged(f"{what}: authentication failed (damaged or wrong key)") from None


@dataclass(frozen=True)
class ScryptParams:
    # n=2**15, r=8 costs ~32 MiB and ~0.1 s: slow enough to hurt guessing, cheap at open time.
    n: int = 2**15
    r: int = 8
    p: int = 1


def _derive(passphrase: str, salt: bytes, params: ScryptParams) -> bytes:
    kdf = Scrypt(salt=salt, length=KEY_BYTES, n=params.n, r=params.r, p=params.p)
    return kdf.derive(passphrase.encode())


def wrap_master_key(
    master: bytes, passphrase: str, key_id: str, params: ScryptParams | None = None
) -> bytes:
    """The JSON body of a `keys/<key_id>` object: scrypt params, salt and the wrapped key."""
    params = params or ScryptParams()
    salt = os.urandom(16)
    wrapping = _derive(passphrase, salt, params)
    wrapped = seal(wrapping, master, associated_data("key", key_id))
    body: dict[str, object] = {
        "kdf": "scrypt",
        "n": params.n,
        "r": params.r,
        "p": params.p,
        "salt": base64.b64encode(salt).decode(),
        "wrapped": base64.b64encode(wrapped).decode(),
    }
    body["digest"] = body_digest(body)
    return json.dumps(body, sort_keys=True).encode()


def key_file_intact(body: bytes, what: str) -> bool:
    """Whether a key file is whole, told without the passphrase: its digest matches (True),
    or it is of the older, digest-less format and parses (False: cannot say more).
    ObjectDamaged otherwise."""
    try:
        doc = json.loads(body)
        if not isinstance(doc, dict):
            raise ValueError("not a JSON object")
    except ValueError as exc:
        raise ObjectDamaged(f"{what}: unreadable key object ({exc})") from None
    return check_digest(doc, what)


def unwrap_master_key(body: bytes, passphrase: str, key_id: str) -> bytes:
    """The master key; ObjectDamaged when the key file is damaged, WrongKey when it is intact
    (or, in the older digest-less format, cannot be told damaged) and does not open."""
    try:
        doc = json.loads(body)
        if not isinstance(doc, dict):
            raise ValueError("not a JSON object")
        check_digest(doc, f"keys/{key_id}")
        params = ScryptParams(n=int(doc["n"]), r=int(doc["r"]), p=int(doc["p"]))
        salt = base64.b64decode(doc["salt"])
        wrapped = base64.b64decode(doc["wrapped"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ObjectDamaged(f"keys/{key_id}: unreadable key object ({exc})") from None
    wrapping = _derive(passphrase, salt, params)
    try:
        return unseal(wrapping, wrapped, associated_data("key", key_id), f"keys/{key_id}")
    except ObjectDamaged:
        raise WrongKey("the passphrase does not open this repository") from None


def _checksum(master: bytes) -> bytes:
    return hashlib.sha256(b"syncd-recovery-key" + master).digest()[:_CHECKSUM_BYTES]


def export_recovery_key(master: bytes) -> str:
    """Base32 of key + checksum (35 bytes = 56 characters), in dash-separated groups of four."""
    if len(master) != KEY_BYTES:
        raise ValueError("a master key is 32 bytes")
    text = base64.b32encode(master + _checksum(master)).decode()
    return "-".join(text[i : i + _GROUP] for i in range(0, len(text), _GROUP))


def parse_recovery_key(text: str) -> bytes:
    """The master key from a recovery key string; tolerant of case, spaces and dashes."""
    cleaned = "".join(ch for ch in text.upper() if ch not in " -\t\n").translate(_LOOKALIKES)
    expected = (KEY_BYTES + _CHECKSUM_BYTES) * 8 // 5
    for position, ch in enumerate(cleaned, start=1):
        if ch not in _B32_ALPHABET:
            raise BadRecoveryKey(
                f"recovery key: character {ch!r} at position {position} is invalid"
            )
    if len(cleaned) != expected:
        raise BadRecoveryKey(
            f"recovery key: {len(cleaned)} characters, expected {expected} (missing or extra?)"
        )
    raw = base64.b32decode(cleaned)
    master, checksum = raw[:KEY_BYTES], raw[KEY_BYTES:]
    if _checksum(master) != checksum:
        raise BadRecoveryKey("recovery key: checksum mismatch, a character is mistyped")
    return master
