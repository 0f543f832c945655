"""Durations as people read them on the status page and in alerts (pure)."""

from __future__ import annotations


def span(seconds: float) -> str:
    """'45 s', '12 min', '7 h', '15 days': the unit that keeps the number small."""
    s = int(seconds)
    if s < 120:
        return f"{s} s"
    if s < 7200:
        return f"{s // 60} min"
    if s < 172_800:
        return f"{s // 3600} h"
    return f"{s // 86_400} days"
