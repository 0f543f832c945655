"""Deciding what a listing says about deletions (pure).

An item is deleted only after it is missing from several complete listings in a row. A
listing that loses a large share of the site at once, or is empty, or failed, is a sign of
a crash or a bad deploy, not of deletions: then nothing is deleted and the site is degraded.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import dataclass, field


@dataclass(frozen=True)
class DeletionPlan:
    missing: dict[str, int] = field(default_factory=dict)  # key -> new missing count
    tombstone: frozenset[str] = frozenset()
    degraded: str | None = None  # why the site looks degraded, when it does


def plan_deletions(
    live: Mapping[str, int],
    listed: Set[str],
    *,
    complete: bool,
    confirm_after: int,
    mass_share: float,
) -> DeletionPlan:
    """`live` maps each stored, not deleted item key to its current missing count."""
    if not listed and live:
        # even a partial listing (a feed) that empties out is a sign of trouble
        return DeletionPlan(degraded=f"the listing is empty but {len(live)} items are stored")
    if not complete:
        return DeletionPlan()
    gone = [key for key in live if key not in listed]
    if live and len(gone) / len(live) > mass_share:
        return DeletionPlan(
            degraded=f"{len(gone)} of {len(live)} items vanished from the listing at once "
            f"(more than {mass_share:.0%}); nothing was deleted"
        )
    missing = {key: live[key] + 1 for key in gone}
    return DeletionPlan(
        missing=missing,
        tombstone=frozenset(key for key, count in missing.items() if count >= confirm_after),
    )
