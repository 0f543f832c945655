"""What the mirror benchmark measures: requests (counted by an aiohttp trace hook), peak RSS
(Linux's VmHWM, reset between phases) and one phase's figures."""

from __future__ import annotations

import contextlib
import resource
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import aiohttp

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


def reset_peak_rss() -> None:
    """Start a new peak: writing 5 to clear_refs resets VmHWM (Linux 4.0+). Without it the
    peak is the whole process's, which only ever overstates a later phase."""
    with contextlib.suppress(OSError):
        _CLEAR_REFS.write_text("5")


def peak_rss_mb() -> float:
    """Peak resident set size since the last reset, in MB (10^6 bytes)."""
    try:
        for line in _STATUS.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024 / 1e6
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6


class RequestCounter:
    """Counts every request a session sends and the statuses it gets back; optionally keeps
    the URLs per host:port, so the bare loop can replay exactly what the mirror fetched."""

    def __init__(self, record_urls: bool = False) -> None:
        self.requests = 0
        self.statuses: Counter[int] = Counter()
        self.urls: dict[str, list[str]] | None = {} if record_urls else None
        self.trace = aiohttp.TraceConfig()
        self.trace.on_request_start.append(self._start)
        self.trace.on_request_end.append(self._end)
        self.trace.freeze()

    def attach(self, session: aiohttp.ClientSession) -> None:
        # ClientSession takes trace configs at construction; syncd's HttpClient builds its own
        # session, and trace_configs is the live list the session reads on every request.
        session.trace_configs.append(self.trace)

    async def _start(
        self,
        _s: aiohttp.ClientSession,
        _c: SimpleNamespace,
        params: aiohttp.TraceRequestStartParams,
    ) -> None:
        self.requests += 1
        if self.urls is not None:
            url = str(params.url)
            self.urls.setdefault(urlsplit(url).netloc, []).append(url)

    async def _end(
        self, _s: aiohttp.ClientSession, _c: SimpleNamespace, params: aiohttp.TraceRequestEndParams
    ) -> None:
        self.statuses[params.response.status] += 1


@dataclass
class Phase:
    """One timed pass of one side (syncd or the bare loop), cold or warm."""

    side: str
    temperature: str
    seconds: float
    items: int
    requests: int
    cpu_seconds: float
    peak_rss_mb: float
    statuses: dict[int, int] = field(default_factory=dict)
    failed: int = 0

    @property
    def items_per_s(self) -> float:
        return self.items / self.seconds

    @property
    def requests_per_s(self) -> float:
        return self.requests / self.seconds

    @property
    def cpu_ms_per_request(self) -> float:
        return 1000 * self.cpu_seconds / max(1, self.requests)


class Stopwatch:
    """Wall and process CPU time of a block, and the peak RSS reached inside it."""

    def __enter__(self) -> Stopwatch:
        reset_peak_rss()
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *_: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu
        self.peak_mb = peak_rss_mb()
