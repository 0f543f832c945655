"""Damaging a stored object the way disks, people and attackers do, on a folder or an S3 bucket.

The toolkit works below the code under test: a local folder is changed with plain file I/O,
a bucket through boto3 (get the object, damage it, put it back), so no repository code decides
what the damage looks like. Each fault also says which byte range it hurt, so a test can work
out, from what the object held, exactly what must be lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

FAULTS = ("flip", "truncate", "delete", "zero4k", "replace")
ZERO_SPAN = 4096


class Objects(Protocol):
    """Raw access to the objects of one repository, by the repository's relative names."""

    def get(self, name: str) -> bytes: ...

    def put(self, name: str, data: bytes) -> None: ...

    def delete(self, name: str) -> None: ...

    def exists(self, name: str) -> bool: ...


@dataclass(frozen=True)
class Folder:
    root: Path

    def get(self, name: str) -> bytes:
        return (self.root / name).read_bytes()

    def put(self, name: str, data: bytes) -> None:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    def delete(self, name: str) -> None:
        (self.root / name).unlink()

    def exists(self, name: str) -> bool:
        return (self.root / name).is_file()


@dataclass(frozen=True)
class Bucket:
    client: Any  # a boto3 S3 client with rights to read, write and delete
    bucket: str
    prefix: str  # "repo/" or "" (as the target puts it before every name)

    def get(self, name: str) -> bytes:
        body = self.client.get_object(Bucket=self.bucket, Key=self.prefix + name)["Body"]
        return bytes(body.read())

    def put(self, name: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self.prefix + name, Body=data)

    def delete(self, name: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.prefix + name)

    def exists(self, name: str) -> bool:
        found = self.client.list_objects_v2(Bucket=self.bucket, Prefix=self.prefix + name)
        return any(o["Key"] == self.prefix + name for o in found.get("Contents", []))


def hurt_range(size: int, fault: str) -> tuple[int, int]:
    """[start, end) of the bytes `fault` destroys in an object of `size` bytes."""
    middle = size // 2
    if fault == "flip":
        return middle, middle + 1
    if fault == "truncate":
        return middle, size
    if fault == "zero4k":
        start = max(0, min(middle - ZERO_SPAN // 2, size - ZERO_SPAN))
        return start, min(size, start + ZERO_SPAN)
    return 0, size  # delete, replace: the whole object is gone


def damaged(data: bytes, fault: str) -> bytes:
    """The bytes after a flip, truncate or zero4k fault (delete and replace take no bytes)."""
    start, end = hurt_range(len(data), fault)
    if fault == "flip":
        return data[:start] + bytes([data[start] ^ 0x40]) + data[end:]
    if fault == "truncate":
        return data[:start]
    if fault == "zero4k":
        zeroed = bytes(end - start)
        if data[start:end] == zeroed:
            raise ValueError("the span to zero holds only zeros: the fault would change nothing")
        return data[:start] + zeroed + data[end:]
    raise ValueError(f"fault {fault!r} does not transform bytes")


def apply_fault(objects: Objects, name: str, fault: str, replacement: bytes | None = None) -> None:
    """Damage `name` with `fault`; `replace` writes `replacement` (an older or foreign copy)."""
    if fault == "delete":
        objects.delete(name)
    elif fault == "replace":
        if replacement is None:
            raise ValueError("the replace fault needs the bytes to put in place")
        if replacement == objects.get(name):
            raise ValueError(f"{name}: the replacement is identical to the object")
        objects.put(name, replacement)
    else:
        objects.put(name, damaged(objects.get(name), fault))
