"""SimulatedNetwork: many sites in one process, each on its own 127.0.0.1 port."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from types import TracebackType
from typing import Any

from .clock import SimClock
from .config import SiteConfig
from .errors import SimConfigError
from .site import SimulatedSite
from .words import UNIT_NAMES


def unit_name(index: int) -> str:
    """A Vietnamese unit name; past the list, numbered communes keep names unique."""
    if index < len(UNIT_NAMES):
        return UNIT_NAMES[index]
    return f"Xã Đăk Số {index + 1}"


class SimulatedNetwork:
    """A set of sites started and stopped together. Sites share one clock.

    `SimulatedNetwork.generate(200, articles=200)` makes sites with seeds seed+0, seed+1, ...
    """

    def __init__(self, configs: Sequence[SiteConfig], clock: SimClock | None = None) -> None:
        names = [c.name for c in configs]
        if len(set(names)) != len(names):
            raise SimConfigError("site names in a network must be unique")
        self.clock = clock if clock is not None else SimClock()
        self.sites = [SimulatedSite(c, clock=self.clock) for c in configs]

    @classmethod
    def generate(
        cls, count: int, *, seed: int = 1, clock: SimClock | None = None, **fields: Any
    ) -> SimulatedNetwork:
        if count < 1:
            raise SimConfigError(f"a network needs at least one site (got {count})")
        configs = [
            SiteConfig(name=unit_name(i), seed=seed + i, **fields) for i in range(count)
        ]
        return cls(configs, clock)

    async def start(self) -> None:
        await asyncio.gather(*(site.start() for site in self.sites))

    async def stop(self) -> None:
        await asyncio.gather(*(site.stop() for site in self.sites))

    async def __aenter__(self) -> SimulatedNetwork:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def __iter__(self) -> Iterator[SimulatedSite]:
        return iter(self.sites)

    def __len__(self) -> int:
        return len(self.sites)

    def __getitem__(self, index: int) -> SimulatedSite:
        return self.sites[index]

    def by_name(self, name: str) -> SimulatedSite:
        for site in self.sites:
            if site.name == name:
                return site
        raise SimConfigError(f"no site named {name!r} in the network")
