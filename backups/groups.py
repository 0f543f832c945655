"""Dictionary groups: hold back a group's first objects until a dictionary is trained on them.

The first objects of a group (say, a site's pages) are the best training samples and would be
the worst compressed without a dictionary, so they wait, uncompressed, until the group has
enough of them; then a dictionary is trained and every waiting object is compressed with it.
Memory stays bounded: per group by TRAIN_AT_*, overall by MAX_WAITING_BYTES.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# zstd learns a dictionary best from roughly ten times its size in samples; more samples
# help less than they cost in memory held back (pages wait uncompressed until training, and
# the trainer takes its own copy of them plus ~14 MB of tables). Measured on the reference
# corpus: 6 MiB of samples (a 0.6 MiB dictionary) store its pages plus the dictionary in
# 13.24 MB, 10 MiB (1 MiB) in 13.50 MB, and training peaks ~10 MB lower.
TRAIN_AT_COUNT = 512
TRAIN_AT_BYTES = 6 * 1024 * 1024
MAX_WAITING_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class Waiting:
    object_id: str
    data: bytes
    type: str


@dataclass
class _Group:
    waiting: list[Waiting] = field(default_factory=list)
    bytes: int = 0


class GroupBuffer:
    """Which objects wait for which group's dictionary (pure bookkeeping, no I/O)."""

    def __init__(self) -> None:
        self._groups: dict[str, _Group] = {}
        self._total = 0
        self._ids: set[str] = set()

    def __contains__(self, object_id: str) -> bool:
        return object_id in self._ids

    @property
    def total_bytes(self) -> int:
        return self._total

    def hold(self, group: str, item: Waiting) -> bool:
        """Queue `item`; True when its group is now ready to train."""
        g = self._groups.setdefault(group, _Group())
        g.waiting.append(item)
        g.bytes += len(item.data)
        self._ids.add(item.object_id)
        self._total += len(item.data)
        return len(g.waiting) >= TRAIN_AT_COUNT or g.bytes >= TRAIN_AT_BYTES

    def largest(self) -> str | None:
        if not self._groups:
            return None
        return max(self._groups, key=lambda name: self._groups[name].bytes)

    def release(self, group: str) -> list[Waiting]:
        g = self._groups.pop(group, None)
        if g is None:
            return []
        self._total -= g.bytes
        self._ids.difference_update(w.object_id for w in g.waiting)
        return g.waiting

    def groups(self) -> list[str]:
        return list(self._groups)
