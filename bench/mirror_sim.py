"""The simulated network the mirror benchmark reads: in a child process (default), so the
server's CPU is not charged to the mirror, or inline in the benchmark's own event loop."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass

from syncd.simulator import SimulatedNetwork


class SimulatorFailed(Exception):
    """The simulator child process did not come up."""


@dataclass(frozen=True)
class SimSite:
    base_url: str
    name: str


@contextlib.asynccontextmanager
async def simulator_process(
    sites: int, articles: int, seed: int, latency: float = 0.0
) -> AsyncIterator[list[SimSite]]:
    """`python -m syncd.simulator` in its own process; yields its sites once it says ready."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "syncd.simulator", "--sites", str(sites),
        "--articles", str(articles), "--seed", str(seed), "--latency", str(latency),
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None
    found: list[SimSite] = []
    try:
        async with asyncio.timeout(120):
            while True:
                line = (await proc.stdout.readline()).decode()
                if not line:
                    raise SimulatorFailed(f"simulator exited with {await proc.wait()}")
                if line.strip() == "ready":
                    break
                url, _, rest = line.strip().partition("  ")
                found.append(SimSite(url, rest.split("  rss=")[0]))
        yield found
    finally:
        if proc.returncode is None:
            os.kill(proc.pid, signal.SIGINT)  # the simulator stops cleanly on Ctrl-C
            try:
                async with asyncio.timeout(10):
                    await proc.wait()
            except TimeoutError:
                os.kill(proc.pid, signal.SIGKILL)
                await proc.wait()


@contextlib.asynccontextmanager
async def simulator_inline(
    sites: int, articles: int, seed: int, latency: float = 0.0
) -> AsyncIterator[list[SimSite]]:
    async with SimulatedNetwork.generate(sites, articles=articles, seed=seed) as network:
        if latency > 0:
            for site in network:
                site.add_fault("slow", delay=latency)
        yield [SimSite(site.base_url, site.name) for site in network]


def simulator(
    mode: str, sites: int, articles: int, seed: int, latency: float = 0.0
) -> contextlib.AbstractAsyncContextManager[list[SimSite]]:
    if mode == "process":
        return simulator_process(sites, articles, seed, latency)
    return simulator_inline(sites, articles, seed, latency)
