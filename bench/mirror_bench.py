"""Mirror benchmark: syncd's real pipeline against a bare aiohttp loop over the same URLs.

    .venv/bin/python -m bench.mirror_bench --sites 200 --articles 200 --runs 3

Starts a simulated DNN network (in a child process by default, so the server's CPU is not
charged to either client), mirrors every site into a fresh SQLite store cold and then warm
(`daemon.concurrency` sites at once, like the daemon), then replays exactly the URLs the
mirror fetched with a bare aiohttp loop, cold (200s) and warm (conditional GETs -> 304s).
Prints one markdown table per run and the median of all runs with the ratios to the targets.
Not a test: nothing here asserts a speed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import statistics
import sys
import tempfile
from pathlib import Path

import structlog

from bench.mirror_bare import bare_pass
from bench.mirror_metrics import Phase, RequestCounter, Stopwatch
from bench.mirror_sim import SimSite, simulator
from bench.mirror_syncd import bench_config, mirror_pass

TARGETS = {"warm": 0.8, "cold": 0.5}
RSS_TARGET_MB = 250.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.mirror_bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--sites", type=int, default=200)
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=16, help="sites at once")
    parser.add_argument("--per-host", type=int, default=4, help="requests at once per site")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--simulator", choices=("process", "inline"), default="process")
    parser.add_argument(
        "--latency-ms", type=float, default=0.0,
        help="the simulator waits this long before every response (0: loopback speed, which "
        "measures CPU alone; a real DNN site takes 100 ms or more to render a page)",
    )  # fmt: skip
    parser.add_argument("--syncd-only", action="store_true", help="skip the bare loop (profiling)")
    parser.add_argument("--json", type=Path, help="also write every phase's figures here")
    return parser.parse_args(argv)


def _phase(side: str, temperature: str, watch: Stopwatch, items: int, counter: RequestCounter,
           failed: int) -> Phase:  # fmt: skip
    return Phase(side, temperature, watch.wall, items, counter.requests, watch.cpu,
                 watch.peak_mb, dict(sorted(counter.statuses.items())), failed)  # fmt: skip


async def one_run(args: argparse.Namespace, sites: list[SimSite], run: int) -> list[Phase]:
    phases: list[Phase] = []
    with tempfile.TemporaryDirectory(prefix="syncd-mirror-bench-") as tmp:
        config = bench_config(sites, Path(tmp), args.concurrency, args.per_host)
        cold_counter = RequestCounter(record_urls=True)
        cold = await mirror_pass(config, cold_counter)
        print(f"run {run} syncd cold: {cold.summary()}", file=sys.stderr)
        phases.append(_phase("syncd", "cold", cold.watch, cold.listed, cold_counter, cold.failed))
        warm_counter = RequestCounter()
        warm = await mirror_pass(config, warm_counter)
        print(f"run {run} syncd warm: {warm.summary()}", file=sys.stderr)
        phases.append(_phase("syncd", "warm", warm.watch, warm.listed, warm_counter, warm.failed))
    if args.syncd_only:
        return phases
    urls = cold_counter.urls or {}
    limits = {"site_concurrency": args.concurrency, "per_host": args.per_host}
    counter = RequestCounter()
    with Stopwatch() as watch:
        known, failed = await bare_pass(urls, counter=counter, **limits)
    phases.append(_phase("bare", "cold", watch, cold.listed, counter, failed))
    counter = RequestCounter()
    with Stopwatch() as watch:
        _, failed = await bare_pass(urls, counter=counter, known=known, **limits)
    phases.append(_phase("bare", "warm", watch, cold.listed, counter, failed))
    return phases


def table(phases: list[Phase]) -> str:
    rows = [
        "| side | pass | seconds | items | items/s | requests | requests/s | CPU ms/request "
        "| peak RSS MB | statuses |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for p in phases:
        statuses = ", ".join(f"{code}: {n}" for code, n in p.statuses.items())
        rows.append(
            f"| {p.side} | {p.temperature} | {p.seconds:.1f} | {p.items} | {p.items_per_s:.0f} "
            f"| {p.requests} | {p.requests_per_s:.0f} | {p.cpu_ms_per_request:.2f} "
            f"| {p.peak_rss_mb:.0f} | {statuses} |"
        )
    return "\n".join(rows)


def median_phases(runs: list[list[Phase]]) -> list[Phase]:
    out = []
    for i, first in enumerate(runs[0]):
        same = [run[i] for run in runs]
        out.append(Phase(
            first.side, first.temperature,
            statistics.median(p.seconds for p in same), first.items,
            int(statistics.median(p.requests for p in same)),
            statistics.median(p.cpu_seconds for p in same),
            max(p.peak_rss_mb for p in same), first.statuses,
            max(p.failed for p in same),
        ))  # fmt: skip
    return out


def ratios(runs: list[list[Phase]]) -> str:
    lines = []
    for temperature, target in TARGETS.items():
        per_run = []
        for run in runs:
            by = {(p.side, p.temperature): p for p in run}
            if ("bare", temperature) in by:
                syncd, bare = by[("syncd", temperature)], by[("bare", temperature)]
                per_run.append(syncd.requests_per_s / bare.requests_per_s)
        if per_run:
            shown = ", ".join(f"{r:.2f}" for r in per_run)
            verdict = "met" if statistics.median(per_run) >= target else "MISSED"
            lines.append(
                f"- {temperature}: syncd/bare requests/s = {statistics.median(per_run):.2f} "
                f"median (runs: {shown}); target >= {target} {verdict}"
            )
    peak = max(p.peak_rss_mb for run in runs for p in run if p.side == "syncd")
    verdict = "met" if peak < RSS_TARGET_MB else "MISSED"
    lines.append(
        f"- peak RSS of the mirror: {peak:.0f} MB; target < {RSS_TARGET_MB:.0f} MB {verdict}"
    )
    return "\n".join(lines)


async def main_async(args: argparse.Namespace) -> None:
    runs: list[list[Phase]] = []
    async with simulator(
        args.simulator, args.sites, args.articles, args.seed, args.latency_ms / 1000
    ) as sites:
        for run in range(1, args.runs + 1):
            phases = await one_run(args, list(sites), run)
            runs.append(phases)
            print(f"\nrun {run}\n\n{table(phases)}\n", flush=True)
    if args.runs > 1:
        print(
            f"median of {args.runs} runs (peak RSS: the largest)\n\n{table(median_phases(runs))}\n"
        )
    print(ratios(runs))
    if args.json:
        args.json.write_text(json.dumps(
            [[{**vars(p), "statuses": {str(k): v for k, v in p.statuses.items()}} for p in run]
             for run in runs], indent=1))  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    # The mirror logs one line per site pass; the benchmark's own tables are its output.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    asyncio.run(main_async(parse_args(argv)))


if __name__ == "__main__":
    main()
