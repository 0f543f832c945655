"""Deterministic file bytes that look like what their extension promises.

Images start with a JPEG SOI/APP0 header, documents with %PDF- or the OLE2 signature, so a
mirror's content sniffing sees real types; the rest is seeded noise so each file hashes apart.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

CONTENT_TYPES: dict[str, str] = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
    ".pdf": "application/pdf",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xls": "application/vnd.ms-excel",
    ".zip": "application/zip",
    ".txt": "text/plain",
}


def content_type_for(path: str) -> str:
    dot = path.rfind(".")
    return CONTENT_TYPES.get(path[dot:].lower(), "application/octet-stream") if dot >= 0 else (
        "application/octet-stream"
    )


@dataclass(frozen=True)
class MediaFile:
    """A file under /Portals/{portalId}/. `path` is the decoded site-relative path."""

    file_id: int
    path: str
    content_type: str
    modified: datetime
    seed: int
    size: int
    uploaded: bytes | None = None

    def data(self) -> bytes:
        """The file's bytes (generated on first use, then cached)."""
        if self.uploaded is not None:
            return self.uploaded
        return synth_bytes(self.path.rsplit(".", 1)[-1].lower(), self.seed, self.size)


@lru_cache(maxsize=4096)
def synth_bytes(extension: str, seed: int, size: int) -> bytes:
    noise = random.Random(seed).randbytes(max(size, 64))
    if extension in ("jpg", "jpeg"):
        head = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
        return head + noise[: size - len(head) - 2] + b"\xff\xd9"
    if extension == "pdf":
        head = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\nstream\n"
        tail = b"\nendstream\n%%EOF\n"
        return head + noise[: max(size - len(head) - len(tail), 16)] + tail
    if extension in ("doc", "xls"):
        return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + noise[: size - 8]
    return noise[:size]
