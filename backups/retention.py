"""Which snapshots a retention policy keeps, and why (pure: no I/O, no clock).

Each time-bucket rule keeps the newest snapshot of each of the N most recent buckets that hold
a snapshot (the restic/borg meaning), so gaps in the history do not shorten what is kept.
Buckets are computed in UTC so the decision does not depend on the machine's time zone.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from backups.errors import InvalidRetentionPolicy


@dataclass(frozen=True)
class RetentionPolicy:
    last: int = 0
    hourly: int = 0
    daily: int = 0
    weekly: int = 0
    monthly: int = 0
    yearly: int = 0
    within: timedelta | None = None

    def check(self) -> None:
        counts = (self.last, self.hourly, self.daily, self.weekly, self.monthly, self.yearly)
        if any(n < 0 for n in counts):
            raise InvalidRetentionPolicy("retention counts must not be negative")
        if not any(counts) and not self.within:
            raise InvalidRetentionPolicy("retention policy keeps nothing; refusing to forget all")


_BUCKETS: dict[str, Callable[[datetime], Hashable]] = {
    "hourly": lambda t: (t.year, t.month, t.day, t.hour),
    "daily": lambda t: (t.year, t.month, t.day),
    "weekly": lambda t: t.isocalendar()[:2],
    "monthly": lambda t: (t.year, t.month),
    "yearly": lambda t: t.year,
}


def decide(
    snapshots: Iterable[tuple[str, datetime]], policy: RetentionPolicy, now: datetime
) -> dict[str, list[str]]:
    """Snapshot id -> reasons it is kept; snapshots absent from the result are to forget."""
    policy.check()
    ordered = sorted(
        ((sid, t.astimezone(UTC)) for sid, t in snapshots), key=lambda s: (s[1], s[0]), reverse=True
    )
    keep: dict[str, list[str]] = {}
    for sid, _ in ordered[: policy.last]:
        keep.setdefault(sid, []).append("last")
    for rule, bucket_of in _BUCKETS.items():
        wanted: int = getattr(policy, rule)
        seen: set[Hashable] = set()
        for sid, t in ordered:
            if len(seen) >= wanted:
                break
            bucket = bucket_of(t)
            if bucket not in seen:
                seen.add(bucket)
                keep.setdefault(sid, []).append(rule)
    if policy.within:
        cutoff = now.astimezone(UTC) - policy.within
        for sid, t in ordered:
            if t >= cutoff:
                keep.setdefault(sid, []).append("within")
    return keep
