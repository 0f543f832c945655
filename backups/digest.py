"""A digest of a small JSON document's own fields, stored inside it (config, key files).

These documents are stored in clear or wrapped by a passphrase, and authentication failing
cannot say whether the bytes or the key are wrong; a matching digest says the bytes are right.
"""

from __future__ import annotations

import hashlib
import json

from backups.errors import ObjectDamaged


def body_digest(doc: dict[str, object]) -> str:
    """SHA-256 of a JSON document's fields other than `digest` itself, canonically encoded."""
    fields = {k: v for k, v in doc.items() if k != "digest"}
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()


def check_digest(doc: dict[str, object], what: str) -> bool:
    """True when `doc` carries a digest and it matches; False for the older, digest-less
    format; ObjectDamaged when it does not match."""
    if "digest" not in doc:
        return False
    if doc["digest"] != body_digest(doc):
        raise ObjectDamaged(f"{what}: damaged (content does not match its digest)")
    return True
