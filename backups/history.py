"""Walking the manifest chain from the newest manifest, finding the snapshots off it, and
planning how to cut it when forgetting snapshots."""

from __future__ import annotations

from dataclasses import dataclass

from backups.discovery import ManifestScan
from backups.manifest import ChainLink, ChainWalk, next_in_chain


def walk_chain(scan: ManifestScan, head: str | None) -> ChainWalk:
    """Every manifest reachable from `head`, newest first; stops (and says where) at a broken
    link (pure: the manifests were read by the scan)."""
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
        manifest = scan.manifests.get(name)
        if manifest is None:
            reason = scan.unreadable.get(name, f"snapshot {name}: both copies are missing")
            walk.broken.append((name, reason))
            break
        link = ChainLink(name, manifest)
        walk.links.append(link)
        # Only the newest forget record applies: it supersedes (and maps) all older ones.
        if manifest.kind == "forget" and not seen_forget:
            seen_forget = True
            forgotten, root = dict(manifest.forgotten), manifest.root
        name = next_in_chain(link, forgotten, root)
    return walk


def detached(scan: ManifestScan, walk: ChainWalk) -> list[str]:
    """Intact manifests off the chain that no forget record removed, newest first (pure).

    They lie beyond a broken link or on a side branch (a writer that crashed before HEAD or
    lost a race): still real snapshots, so they are listed, restorable and kept by prune."""
    on_chain = {link.name for link in walk.links}
    removed: set[str] = set()
    for manifest in scan.manifests.values():
        if manifest.kind == "forget":
            removed.update(manifest.forgotten)
            if manifest.root is not None:
                removed.update(_ancestors(scan, manifest.root))
    names = [n for n in scan.manifests if n not in on_chain and n not in removed]
    return sorted(names, key=lambda n: (scan.generations[n], scan.manifests[n].time), reverse=True)


def _ancestors(scan: ManifestScan, name: str) -> set[str]:
    """What a forget record dropped below its root (left behind only if Object Lock kept it)."""
    found: set[str] = set()
    current = scan.manifests.get(name)
    while current is not None and current.parent is not None and current.parent not in found:
        found.add(current.parent)
        current = scan.manifests.get(current.parent)
    return found


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
