"""Finding the newest snapshot from the manifests themselves; HEAD is only a hint.

Every manifest under either prefix is listed and read. A manifest carries a generation, one
more than its parent's (older manifests have none: theirs is derived from their position on
the parent chain), so the newest is the intact manifest with the highest generation whose
parent, when still there, is older. A HEAD that is missing, damaged or rolled back therefore
changes nothing but a reported problem, and HEAD only breaks ties between equal generations.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field

from backups.copies import PREFIXES, CopyProblem, read_either
from backups.errors import ObjectDamaged, RepositoryCorrupt
from backups.manifest import Manifest
from backups.targets.base import Target

# Manifests are small; this many are read at once (each read is a round trip on S3).
_READS_AT_ONCE = 16


@dataclass
class ManifestScan:
    manifests: dict[str, Manifest] = field(default_factory=dict)  # at least one good copy
    unreadable: dict[str, str] = field(default_factory=dict)  # name -> why no copy opens
    bad_copies: dict[str, list[CopyProblem]] = field(default_factory=dict)  # one copy bad
    generations: dict[str, int] = field(default_factory=dict)

    def add(self, name: str, manifest: Manifest, generation: int) -> None:
        self.manifests[name] = manifest
        self.generations[name] = generation
        self.unreadable.pop(name, None)
        self.bad_copies.pop(name, None)

    def discard(self, name: str) -> None:
        for held in (self.manifests, self.unreadable, self.bad_copies, self.generations):
            held.pop(name, None)


async def scan_manifests(target: Target, key: bytes) -> ManifestScan:
    names: set[str] = set()
    for prefix in PREFIXES["snapshot"]:
        async for info in target.list(prefix):
            names.add(info.name.rsplit("/", 1)[-1])
    scan = ManifestScan()
    limit = asyncio.Semaphore(_READS_AT_ONCE)

    async def read(name: str) -> None:
        async with limit:
            try:
                raw, problems = await read_either(target, key, "snapshot", name)
                scan.manifests[name] = Manifest.decode(raw, f"snapshots/{name}")
            except (RepositoryCorrupt, ObjectDamaged) as exc:
                scan.unreadable[name] = str(exc)
                return
            if problems:
                scan.bad_copies[name] = problems

    await asyncio.gather(*(read(name) for name in sorted(names)))
    scan.generations = effective_generations(scan.manifests)
    return scan


def effective_generations(manifests: Mapping[str, Manifest]) -> dict[str, int]:
    """Each manifest's generation: its own, or (older format) its depth on the parent chain,
    counted from the nearest ancestor that has one or from where the chain ends (pure)."""
    generations = {n: m.generation for n, m in manifests.items() if m.generation is not None}
    for start in manifests:
        path: list[str] = []
        name: str | None = start
        while name is not None and name in manifests and name not in generations:
            if name in path:  # a loop cannot come from a real history: count from here
                break
            path.append(name)
            name = manifests[name].parent
        base = generations.get(name, 0) if name is not None else 0
        for offset, step in enumerate(reversed(path), start=1):
            generations[step] = base + offset
    return generations


def newest(scan: ManifestScan, hint: str | None) -> str | None:
    """The name of the newest manifest whose generation agrees with its parent's (pure).

    Equal generations (two writers that both believed they won, or a crash between writing a
    manifest and deleting it) go to HEAD's choice, then to the later time."""
    gens = scan.generations

    def consistent(name: str) -> bool:
        parent = scan.manifests[name].parent
        return parent is None or parent not in gens or gens[parent] < gens[name]

    candidates = [n for n in scan.manifests if consistent(n)]
    if not candidates:
        return None
    return max(candidates, key=lambda n: (gens[n], n == hint, scan.manifests[n].time, n))


def head_problem(
    scan: ManifestScan, hint: str | None, damage: str | None, tip: str | None
) -> str | None:
    """What is wrong with HEAD, given what it said (`hint`) or why it could not be read
    (`damage`), and the newest manifest `tip` (pure)."""
    if damage is not None:
        if tip is None and damage == "HEAD is missing":
            return None  # an empty repository has no HEAD yet
        return f"{damage}; the newest manifest is {tip}"
    if hint == tip:
        return None
    if hint not in scan.manifests:
        return f"HEAD names manifest {hint}, which is missing or damaged; the newest is {tip}"
    return (
        f"HEAD names manifest {hint} (generation {scan.generations[hint]}), not the newest, "
        f"{tip} (generation {scan.generations.get(tip or '', 0)}): rolled back or stale"
    )
