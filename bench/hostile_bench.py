"""Hostile-site benchmark: the daemon keeps its promises while three sites attack it.

    .venv/bin/python -m bench.hostile_bench --healthy 20 --articles 50 --duration 300

`syncd run` (a child process, as systemd runs it: notify socket, watchdog armed) mirrors a
10 GiB gzip bomb, a 100,000-deep nested-div article and a page dripping one byte a second,
alongside `--healthy` simulated DNN sites, every site on the same `--schedule`, with the
production limits (nothing shortened). Reported:

- each healthy site's passes and how late each started after it was due (the daemon sets
  next_due_at when a pass ends; a pass starts when it is leased; both are read from the store
  every 0.25 s, so a lag is exact to that resolution plus the daemon's 5 s tick);
- the largest gap between two watchdog pings (nominal: half of --watchdog-sec);
- the event loop's lag: how late /healthz (a handler that does no I/O) answered, asked every
  0.25 s;
- the daemon's peak RSS (ru_maxrss of the child alone).

Not a test: nothing here asserts; the figures go to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from syncd.daemon import LEASE  # a first lease runs to the pass's start plus this
from syncd.simulator import SimulatedNetwork
from tests.support.daemon_run import DaemonRun, run_daemon
from tests.support.hostile import HostileNetwork, config_toml

HOSTILE = ("gzip-bomb-length", "deep-div", "drip")
RSS_TARGET_MB = 300.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.hostile_bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--healthy", type=int, default=20)
    parser.add_argument("--articles", type=int, default=50)
    parser.add_argument("--duration", type=float, default=300.0, help="seconds of mirroring")
    parser.add_argument("--schedule", default="30s", help="every site's schedule")
    parser.add_argument("--watchdog-sec", type=float, default=60.0, help="the unit's WatchdogSec")
    parser.add_argument(
        "--hostile", default=",".join(HOSTILE),
        help="hostile cases (tests/support/hostile.py names), comma-separated; '' for none, "
        "the baseline",
    )  # fmt: skip
    return parser.parse_args(argv)


@dataclass
class SiteLags:
    due: datetime | None = None  # the next_due_at in force
    started: list[float] = field(default_factory=list)  # seconds late, one per pass


def _when(value: str | None) -> datetime | None:
    if value is None:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class SchedulePoller:
    """Reads every site's next_due_at and lease from the store until stopped."""

    def __init__(self, database: Path, every: float = 0.25) -> None:
        self.database, self.every = database, every
        self.sites: dict[str, SiteLags] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> SchedulePoller:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        while not self._stop.wait(self.every):
            if conn is None:
                if not self.database.exists():
                    continue
                conn = sqlite3.connect(f"file:{self.database}?mode=ro", uri=True, timeout=5)
            try:
                rows = conn.execute("SELECT key, next_due_at, lease_until FROM sites").fetchall()
            except sqlite3.Error:
                continue  # the schema is still being created
            for key, due, lease in rows:
                self._observe(key, _when(due), _when(lease))
        if conn is not None:
            conn.close()

    def _observe(self, key: str, due: datetime | None, lease: datetime | None) -> None:
        site = self.sites.setdefault(key, SiteLags())
        if lease is not None and site.due is not None:
            # a pass is under way: it started when it was leased
            site.started.append(max(0.0, (lease - LEASE - site.due).total_seconds()))
            site.due = None
        elif lease is None and due is not None and due != site.due:
            if site.due is not None and due > site.due:
                # the pass was over between two reads: it started no later than now
                late = (datetime.now(UTC) - site.due).total_seconds()
                site.started.append(max(0.0, late))
            site.due = due


def report(args: argparse.Namespace, run: DaemonRun, lags: dict[str, SiteLags],
           healthy: list[str], hostile: list[str]) -> str:  # fmt: skip
    lines = [
        f"healthy sites: {len(healthy)} x {args.articles} articles, schedule {args.schedule}, "
        f"{args.duration:.0f} s; hostile: {', '.join(hostile) or 'none'}",
        "",
        "| site | passes | start lag max s | start lag median s |",
        "|---|---:|---:|---:|",
    ]
    every: list[float] = []
    for key in healthy:
        started = lags.get(key, SiteLags()).started
        every += started
        worst = f"{max(started):.2f}" if started else "-"
        middle = f"{statistics.median(started):.2f}" if started else "-"
        lines.append(f"| {key} | {len(started)} | {worst} | {middle} |")
    for key in hostile:
        passes = len(run.passes(key))
        lines.append(f"| {key} (hostile) | {passes} ended | - | - |")
    probes = sorted(run.probe_latencies) or [0.0]
    p99 = probes[min(len(probes) - 1, int(len(probes) * 0.99))]
    interval = args.watchdog_sec / 2
    verdict = "met" if run.peak_rss_mb < RSS_TARGET_MB else "MISSED"
    lines += [
        "",
        f"- healthy passes: {len(every)}; start lag max {max(every, default=0):.2f} s, "
        f"median {statistics.median(every) if every else 0:.2f} s (daemon tick 5 s)",
        f"- watchdog: {len(run.pings)} pings, largest gap {run.largest_ping_gap:.2f} s "
        f"(nominal {interval:g} s, systemd restarts after {args.watchdog_sec:g} s)",
        f"- event loop lag (/healthz answer time, {len(run.probe_latencies)} probes): max "
        f"{max(probes) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, median "
        f"{statistics.median(probes) * 1000:.0f} ms",
        f"- peak RSS of the daemon: {run.peak_rss_mb:.0f} MB; target < {RSS_TARGET_MB:.0f} MB "
        f"{verdict}",
        f"- exit code {run.returncode}; crashed passes: "
        f"{sum(1 for r in run.records if r.get('event') == 'mirror pass crashed')}",
    ]
    failed = [r for r in run.records if r.get("event") == "item failed"]
    for key in hostile:
        errors = sorted({str(r.get("error")) for r in failed if r.get("site") == key})
        lines.append(f"- {key}: {'; '.join(errors) or 'no item failed'}")
    return "\n".join(lines)


async def main_async(args: argparse.Namespace) -> None:
    names = [name for name in args.hostile.split(",") if name]
    with tempfile.TemporaryDirectory(prefix="syncd-hostile-bench-") as tmp:
        work = Path(tmp)
        async with (
            HostileNetwork(names) as hostile,
            SimulatedNetwork.generate(args.healthy, seed=300, articles=args.articles,
                                      images=5, documents=2) as sims,
        ):  # fmt: skip
            healthy = {f"healthy-{i:02d}": site.base_url for i, site in enumerate(sims)}
            config = work / "syncd.toml"
            # production limits: no shortened timeouts for the benchmark
            config.write_text(
                config_toml(hostile.cases, healthy, work / "state", schedule=args.schedule,
                            daemon={"read_timeout": "30s", "fetch_deadline": "120s"})
            )  # fmt: skip
            with SchedulePoller(work / "state" / "syncd.db") as poller:
                run = await asyncio.to_thread(
                    run_daemon, config, work, until=lambda _: False, time_limit=args.duration,
                    watchdog_usec=int(args.watchdog_sec * 1e6), probe_every=0.25,
                )  # fmt: skip
        print(report(args, run, poller.sites, sorted(healthy), names))


def main(argv: list[str] | None = None) -> None:
    began = time.monotonic()
    asyncio.run(main_async(parse_args(argv)))
    print(f"- wall time {time.monotonic() - began:.0f} s")


if __name__ == "__main__":
    main()
