"""Where a repository keeps its objects, as far as deciding "is there a repository here"."""

from __future__ import annotations

from backups.config import CONFIG_PATHS, KEY_PREFIXES
from backups.copies import PREFIXES
from backups.manifest import HEAD_PATH
from backups.targets.base import Target

DATA_PREFIX = "data/"  # packs: see backups.packs.pack_path
SINGLE_OBJECTS = (*CONFIG_PATHS, HEAD_PATH)
OBJECT_PREFIXES = (*KEY_PREFIXES, *(p for pair in PREFIXES.values() for p in pair), DATA_PREFIX)


async def repository_object(target: Target) -> str | None:
    """The name of one object that belongs to a repository, or None when there is none."""
    for name in SINGLE_OBJECTS:
        if await target.head(name) is not None:
            return name
    for prefix in OBJECT_PREFIXES:
        async for info in target.list(prefix):
            return info.name
    return None
