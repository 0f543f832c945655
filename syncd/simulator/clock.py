"""A clock the tests can move forward, so token expiry and lastmod need no sleeping."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta


class SimClock:
    """Wall-clock time (or a fixed start) plus an offset that `advance` moves forward."""

    def __init__(self, start: datetime | None = None) -> None:
        self._fixed = start
        self._offset = timedelta()
        self._source: Callable[[], datetime] = lambda: datetime.now(UTC)

    def now(self) -> datetime:
        """The current simulated time, timezone-aware UTC."""
        base = self._fixed if self._fixed is not None else self._source()
        return base + self._offset

    def advance(self, seconds: float) -> None:
        """Move simulated time forward (tokens expire, edits get later lastmod)."""
        if seconds < 0:
            raise ValueError("a clock only moves forward")
        self._offset += timedelta(seconds=seconds)
