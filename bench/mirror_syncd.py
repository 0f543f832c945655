"""The syncd side of the mirror benchmark: a configuration for the simulated sites and one
pass over all of them through syncd's real pipeline, sites mirrored concurrently as the
daemon does."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.mirror_metrics import RequestCounter, Stopwatch
from bench.mirror_sim import SimSite
from syncd.config import Config, parse_config
from syncd.gc_tuning import tune_gc
from syncd.mirror.pipeline import PassResult
from syncd.mirror.session import mirror_session


def bench_config(
    sites: Sequence[SimSite], state_dir: Path, concurrency: int, per_host: int
) -> Config:
    """One province unit, one commune unit and one local dnn site per simulated site."""
    lines = [
        "[daemon]",
        f"state_dir = {json.dumps(str(state_dir))}",
        f"concurrency = {concurrency}",
        f"per_host_limit = {per_host}",
        'politeness_delay = "0s"',
        "",
        '[[units]]\nkey = "net"\nname = "Tỉnh mô phỏng"\nlevel = "province"',
    ]
    for i, site in enumerate(sites):
        lines += [
            f'[[units]]\nkey = "u{i:03d}"\nname = {json.dumps(site.name)}\n'
            'level = "commune"\nparent = "net"',
            f'[[sites]]\nkey = "s{i:03d}"\nunit = "u{i:03d}"\nkind = "dnn"\n'
            f"base_url = {json.dumps(site.base_url)}\nlocal = true",
        ]
    return parse_config("\n".join(lines) + "\n", "<bench>")


@dataclass
class MirrorPass:
    results: list[PassResult]
    watch: Stopwatch

    @property
    def listed(self) -> int:
        return sum(r.listed for r in self.results)

    @property
    def failed(self) -> int:
        return sum(r.failed + (1 if r.listing_failed else 0) for r in self.results)

    def summary(self) -> dict[str, int]:
        fields = ("listed", "new", "changed", "unchanged", "deleted", "failed", "gone")
        return {f: sum(getattr(r, f) for r in self.results) for f in fields}


async def mirror_pass(config: Config, counter: RequestCounter) -> MirrorPass:
    """Mirror every configured site once, `daemon.concurrency` sites at a time. Store opening
    and migrations happen before the clock starts."""
    async with mirror_session(config) as mirror:
        # HttpClient keeps its aiohttp session private; the trace hook only counts requests.
        assert mirror.http._session is not None
        counter.attach(mirror.http._session)
        tune_gc()  # as the daemon does once start-up is over
        gate = asyncio.Semaphore(config.daemon.concurrency)

        async def one(key: str) -> PassResult:
            async with gate:
                return await mirror.run_site(key)

        with Stopwatch() as watch:
            results = await asyncio.gather(*(one(site.key) for site in config.sites))
    return MirrorPass(list(results), watch)
