"""`syncd run` in a child process, watched as systemd would watch it.

The child gets a real $NOTIFY_SOCKET (a datagram socket bound here) and $WATCHDOG_USEC, so
it pings the watchdog exactly as under systemd; every datagram is timestamped on arrival by a
thread of its own, independent of the caller's event loop. Its peak RSS is the kernel's
ru_maxrss for that process alone (os.wait4), so servers running in the caller are not counted.
Its JSON log lines are parsed as they come; `until` decides when the run has seen enough.
While it runs, /healthz (a handler that does no I/O) is asked every `probe_every` seconds:
how late it answers is how long the daemon's event loop was busy elsewhere.

The child's address space is capped (`memory_cap`) so that a daemon that does inflate a
bomb dies of MemoryError instead of taking the machine down with it.
"""

from __future__ import annotations

import itertools
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PING = "WATCHDOG=1"
Records = list[dict[str, Any]]


@dataclass
class DaemonRun:
    returncode: int
    peak_rss_mb: float
    started: float  # monotonic time of READY=1 (or of the spawn, when READY never came)
    stopped: float  # monotonic time SIGTERM was sent
    pings: list[float] = field(repr=False)  # monotonic arrival times of WATCHDOG=1
    statuses: list[str]  # every other datagram, in order
    records: Records = field(repr=False)  # the child's JSON log lines
    stderr: str = field(repr=False)
    # seconds /healthz took to answer, one per probe
    probe_latencies: list[float] = field(default_factory=list, repr=False)
    finished: bool = False  # `until` was satisfied before the time limit

    @property
    def largest_ping_gap(self) -> float:
        """The longest time without a ping between READY and SIGTERM, edges included."""
        marks = [self.started, *[p for p in self.pings if p <= self.stopped], self.stopped]
        return max(b - a for a, b in itertools.pairwise(marks))

    def passes(self, site: str) -> list[dict[str, Any]]:
        return [r for r in self.records if r.get("site") == site and _is_pass(r)]


def _is_pass(record: dict[str, Any]) -> bool:
    return record.get("event") in ("mirror pass", "mirror pass crashed")


def sites_passed(keys: set[str]) -> Callable[[Records], bool]:
    """`until` for: every site in `keys` has ended at least one pass, well or not."""

    def done(records: Records) -> bool:
        return keys <= {r.get("site") for r in records if _is_pass(r)}

    return done


def _cap_memory(limit: int) -> Callable[[], None]:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return apply


def run_daemon(
    config: Path,
    workdir: Path,
    *,
    until: Callable[[Records], bool],
    time_limit: float,
    watchdog_usec: int = 4_000_000,
    memory_cap: int = 3 * 1024**3,
    probe_every: float | None = None,
) -> DaemonRun:
    """Run `syncd run --config config` until `until(records)` holds or `time_limit` seconds
    pass, then SIGTERM it and wait for it to exit. Blocking: call via asyncio.to_thread."""
    sock_path = workdir / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(sock_path))
    sock.settimeout(0.2)
    env = {**os.environ, "NOTIFY_SOCKET": str(sock_path), "WATCHDOG_USEC": str(watchdog_usec)}
    env.pop("WATCHDOG_PID", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "syncd", "run", "--config", str(config)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        preexec_fn=_cap_memory(memory_cap),
    )  # fmt: skip
    spawned = time.monotonic()
    lock = threading.Lock()
    datagrams: list[tuple[float, str]] = []
    records: Records = []
    errors: list[str] = []
    latencies: list[float] = []
    stop = threading.Event()

    def receive() -> None:
        while not stop.is_set():
            try:
                data = sock.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            with lock:
                datagrams.append((time.monotonic(), data.decode(errors="replace")))

    def read_stdout() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                with lock:
                    records.append(record)

    def read_stderr() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            errors.append(line.decode(errors="replace"))
            del errors[:-400]

    threads = [threading.Thread(target=t, daemon=True) for t in (receive, read_stdout, read_stderr)]
    for thread in threads:
        thread.start()
    deadline = spawned + time_limit
    finished = False
    status_url: str | None = None
    reaped: tuple[int, int] | None = None
    while time.monotonic() < deadline:
        reaped = _reap(proc)
        if reaped is not None:  # it exited on its own: a crash, or a refused configuration
            break
        with lock:
            snapshot = list(records)
        if until(snapshot):
            finished = True
            break
        if status_url is None:
            status_url = next(
                (r.get("status") for r in snapshot if r.get("event") == "daemon started"), None
            )
        if probe_every is not None and status_url:
            latencies.append(_probe(status_url + "healthz"))
            time.sleep(max(0.0, probe_every - latencies[-1]))
        else:
            time.sleep(0.2)
    stopped = time.monotonic()
    returncode, peak = reaped if reaped is not None else _terminate(proc)
    stop.set()
    for thread in threads:
        thread.join(timeout=10)
    sock.close()
    ready = next((t for t, m in datagrams if "READY=1" in m), spawned)
    return DaemonRun(
        returncode=returncode,
        peak_rss_mb=peak / 1024,
        started=ready,
        stopped=stopped,
        pings=[t for t, m in datagrams if m.strip() == PING],
        statuses=[m for _, m in datagrams if m.strip() != PING],
        records=records,
        stderr="".join(errors),
        probe_latencies=latencies,
        finished=finished,
    )


_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy


def _probe(url: str) -> float:
    began = time.monotonic()
    try:
        with _DIRECT.open(url, timeout=30) as answer:
            answer.read()
    except OSError:
        pass  # a refused or late answer is still a measure of the loop's lag
    return time.monotonic() - began


def _reap(proc: subprocess.Popen[bytes]) -> tuple[int, int] | None:
    """The exit code and ru_maxrss (KiB) of the child once it has exited, else None.
    (Popen.wait would reap the child without its resource usage: wait4 keeps both.)"""
    pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
    if not pid:
        return None
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, usage.ru_maxrss


def _terminate(proc: subprocess.Popen[bytes], grace: float = 60.0) -> tuple[int, int]:
    """SIGTERM, then SIGKILL after `grace`."""
    proc.send_signal(signal.SIGTERM)
    limit = time.monotonic() + grace
    while True:
        reaped = _reap(proc)
        if reaped is not None:
            return reaped
        if time.monotonic() > limit:
            proc.kill()
            limit = float("inf")
        time.sleep(0.05)
