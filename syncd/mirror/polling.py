"""When to poll a site next (pure): adaptive to how often it publishes, backing off on failure."""

from __future__ import annotations

MAX_IDLE_FACTOR = 8  # a quiet site is still polled at least every 8 scheduled intervals
MAX_BACKOFF_SECONDS = 6 * 3600  # a failing site is still tried at least every 6 hours


def next_interval(base: int, idle_passes: int, failures: int) -> int:
    """Seconds until the next pass.

    Each pass in a row that found nothing new stretches the interval (up to a cap); any change
    brings it back to the configured one. Failures back off exponentially but never stop polling.
    """
    if failures > 0:
        return min(MAX_BACKOFF_SECONDS, max(base, 60) << min(failures - 1, 16))
    factor = min(MAX_IDLE_FACTOR, 1 + idle_passes // 2)
    return base * factor
