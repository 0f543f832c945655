"""Metadata stored twice: indexes, manifests and dictionaries live under two prefixes with the
same name.

An index or manifest is named by the sha256 of its sealed bytes, so a copy is checked without
the key, and a damaged or substituted copy is told apart from a good one before decryption is
even tried. A dictionary is named by the sha256 of its content (records name it so), and is
checked after opening (backups/dicts.py).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from backups.crypto import associated_data, seal, unseal
from backups.errors import ObjectDamaged, ObjectLocked, ObjectMissing, RepositoryCorrupt
from backups.targets.base import Target

PREFIXES: dict[str, tuple[str, str]] = {
    "index": ("index/", "index-copy/"),
    "snapshot": ("snapshots/", "snapshots-copy/"),
    "dict": ("dicts/", "dicts-copy/"),
}

# How a copy is opened: (key, kind, name, path, sealed bytes) -> plaintext, or ObjectDamaged.
Opener = Callable[[bytes, str, str, str, bytes], bytes]


@dataclass(frozen=True)
class CopyProblem:
    path: str
    reason: str


def copy_paths(kind: str, name: str) -> tuple[str, str]:
    first, second = PREFIXES[kind]
    return first + name, second + name


async def write_twice(
    target: Target, key: bytes, kind: str, plaintext: bytes, lock_for: timedelta | None = None
) -> str:
    sealed = seal(key, plaintext, associated_data(kind, ""))
    name = hashlib.sha256(sealed).hexdigest()
    for path in copy_paths(kind, name):
        await target.put(path, sealed)
        if lock_for is not None:
            await target.lock_until(path, datetime.now(UTC) + lock_for)
    return name


def open_copy(key: bytes, kind: str, name: str, path: str, sealed: bytes) -> bytes:
    if hashlib.sha256(sealed).hexdigest() != name:
        raise ObjectDamaged(f"{path}: content does not match its name (damaged or replaced)")
    return unseal(key, sealed, associated_data(kind, ""), path)


async def read_copy(
    target: Target, key: bytes, kind: str, name: str, path: str, opener: Opener = open_copy
) -> bytes:
    return opener(key, kind, name, path, await target.get(path))


async def read_either(
    target: Target, key: bytes, kind: str, name: str, opener: Opener = open_copy
) -> tuple[bytes, list[CopyProblem]]:
    """The plaintext from the first good copy, and what was wrong with the others."""
    problems: list[CopyProblem] = []
    for path in copy_paths(kind, name):
        try:
            return await read_copy(target, key, kind, name, path, opener), problems
        except ObjectMissing:
            problems.append(CopyProblem(path, "missing"))
        except ObjectDamaged as exc:
            problems.append(CopyProblem(path, str(exc)))
    raise RepositoryCorrupt(f"{kind} {name}: both copies are missing or damaged")


async def rewrite_bad_copies(
    target: Target, kind: str, name: str, problems: list[CopyProblem]
) -> list[str]:
    """Copy the good copy over the lost or damaged ones `problems` names; a line for each
    copy rewritten (a damaged copy under Object Lock stays as it is)."""
    bad = {problem.path for problem in problems}
    good = next(path for path in copy_paths(kind, name) if path not in bad)
    sealed = await target.get(good)
    done = []
    for problem in problems:
        try:
            await target.put(problem.path, sealed)
        except ObjectLocked:
            continue
        done.append(f"{problem.path} rewritten from {good} ({problem.reason})")
    return done
