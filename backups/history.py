"""Walking the manifest chain from HEAD, and planning how to cut it when forgetting snapshots."""

from __future__ import annotations

from dataclasses import dataclass

from backups.copies import read_either
from backups.errors import ObjectDamaged, RepositoryCorrupt
from backups.manifest import ChainLink, ChainWalk, Manifest, next_in_chain
from backups.targets.base import Target


async def walk_chain(target: Target, key: bytes, head: str | None) -> ChainWalk:
    """Every reachable manifest, newest first; stops (and says where) at a broken link."""
    walk = ChainWalk()
    forgotten: dict[str, str | None] = {}
    root: str | None = None
    seen_forget = False
    name = head
    visited: set[str] = set()
    while name is not None:
        if name in visited:
            walk.broken.append((name, "manifest chain loops"))
            break
        visited.add(name)
        try:
            raw, _ = await read_either(target, key, "snapshot", name)
            manifest = Manifest.decode(raw, f"snapshots/{name}")
        except (RepositoryCorrupt, ObjectDamaged) as exc:
            walk.broken.append((name, str(exc)))
            break
        link = ChainLink(name, manifest)
        walk.links.append(link)
        # Only the newest forget record applies: it supersedes (and maps) all older ones.
        if manifest.kind == "forget" and not seen_forget:
            seen_forget = True
            forgotten, root = dict(manifest.forgotten), manifest.root
        name = next_in_chain(link, forgotten, root)
    return walk


@dataclass(frozen=True)
class ForgetPlan:
    forgotten: dict[str, str | None]
    root: str | None
    delete: list[str]


def plan_forget(links: list[ChainLink], keep: set[str]) -> ForgetPlan:
    """Cut the chain (newest first) down to the manifests named in `keep` (pure).

    Removed manifests newer than the oldest kept one are mapped to the next link so the chain
    stays checkable; everything older than it is simply dropped.
    """
    names = [link.name for link in links]
    kept_positions = [i for i, n in enumerate(names) if n in keep]
    root = names[kept_positions[-1]] if kept_positions else None
    limit = kept_positions[-1] if kept_positions else len(names)
    forgotten: dict[str, str | None] = {}
    delete: list[str] = []
    for i, name in enumerate(names):
        if name in keep:
            continue
        delete.append(name)
        if i < limit:
            forgotten[name] = names[i + 1] if i + 1 < len(names) else None
    return ForgetPlan(forgotten, root, delete)
