"""The canonical form of a revision's document, whose hash decides whether content changed."""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Mapping
from typing import Any


def _canon(value: Any) -> Any:
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n"))
    if isinstance(value, Mapping):
        return {str(k): _canon(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canon(v) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    raise TypeError(f"a document holds only JSON values, not {type(value).__name__}")


def canonical_bytes(document: Mapping[str, Any]) -> bytes:
    """Same content, same bytes: NFC text, LF line ends, sorted keys, no insignificant space."""
    return json.dumps(
        _canon(document), ensure_ascii=False, sort_keys=True, separators=(",", ":")
    ).encode("utf-8")


def content_hash(document: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical_bytes(document)).hexdigest()


def load_document(data: bytes) -> dict[str, Any]:
    loaded = json.loads(data)
    if not isinstance(loaded, dict):
        raise ValueError("a revision document must be a JSON object")
    return loaded
