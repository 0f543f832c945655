"""Limits and manners of the HTTP helper, in one value."""

from __future__ import annotations

from dataclasses import dataclass

#: Bodies are read, inflated and timed in blocks of this size.
BLOCK = 64 * 1024


@dataclass(frozen=True)
class HttpPolicy:
    connect_timeout: float = 10.0
    # Longest wait for each BLOCK of a body (a body dripping a byte a second fails after this
    # long, not only one that falls silent), and with connect_timeout for all the headers.
    read_timeout: float = 30.0
    # One deadline per URL: every attempt, redirect and wait between retries included.
    total_timeout: float = 120.0
    max_bytes: int = 32 * 1024 * 1024  # per body, counted after decompression
    max_redirects: int = 8
    attempts: int = 4  # tries for transient failures, the first one included
    backoff_base: float = 1.0  # first retry waits about this long, doubling after
    backoff_max: float = 60.0
    retry_after_cap: float = 300.0  # wait at most this long when a server says Retry-After
    per_host: int = 4  # concurrent requests to one host
    politeness_delay: float = 0.0  # minimum gap between the starts of two requests to a host
    user_agent: str = "syncd/0.1 (+mirror of government web sites)"
