"""Systemd's watchdog fed only while the daemon is healthy, so a wedged daemon gets restarted.

Each beat runs the caller's health check; a healthy verdict sends WATCHDOG=1, an unhealthy one
sends nothing and puts the reason in STATUS. systemd restarts the unit once WatchdogSec passes
without a ping; a check that recovers before then resumes the pings and restores the status.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import structlog

from syncd.service.notify import Notifier

log = structlog.get_logger("syncd.service")


@dataclass(frozen=True)
class Health:
    """A health verdict with the reason shown to operators when it is bad."""

    ok: bool
    reason: str = ""


# A check may answer a plain bool, or a Health when it can say what is wrong.
HealthCheck = Callable[[], Awaitable[bool | Health]]


class Watchdog:
    """A task pinging systemd every `interval` seconds while `check` reports healthy."""

    def __init__(
        self,
        notifier: Notifier,
        check: HealthCheck,
        interval: float,
        *,
        check_timeout: float | None = None,
    ) -> None:
        if interval <= 0:
            raise ValueError(f"watchdog interval must be positive, got {interval}")
        self._notifier = notifier
        self._check = check
        self._interval = interval
        # A check slower than half a beat is as bad as one that fails; the cap keeps a slow but
        # healthy check's ping well inside systemd's period (two intervals).
        self._check_timeout = interval / 2 if check_timeout is None else check_timeout
        self._task: asyncio.Task[None] | None = None
        self._last: Health | None = None

    @property
    def health(self) -> Health | None:
        """The latest verdict, None before the first beat."""
        return self._last

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def _verdict(self) -> Health:
        try:
            async with asyncio.timeout(self._check_timeout):
                answer = await self._check()
        except TimeoutError:
            return Health(False, f"health check timed out after {self._check_timeout:g}s")
        except Exception as exc:
            return Health(False, f"health check failed: {type(exc).__name__}: {exc}")
        if isinstance(answer, Health):
            return answer if answer.ok or answer.reason else Health(False, "health check failed")
        return Health(True) if answer else Health(False, "health check failed")

    async def beat(self) -> Health:
        """One check, then a ping when healthy; reports changes of state to systemd and the log."""
        verdict = await self._verdict()
        previous, self._last = self._last, verdict
        if verdict.ok:
            self._notifier.watchdog()
            if previous is not None and not previous.ok:
                log.info("healthy again, watchdog pings resumed")
                self._notifier.send({"STATUS": self._notifier.last_status or "healthy"})
        elif previous is None or previous != verdict:
            log.error("unhealthy, watchdog pings stopped", reason=verdict.reason)
            self._notifier.send({"STATUS": f"unhealthy, watchdog pings stopped: {verdict.reason}"})
        return verdict

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        due = loop.time()
        while True:
            await self.beat()
            # A fixed cadence: the time a check takes does not push the next beat later.
            due = max(due + self._interval, loop.time())
            await asyncio.sleep(due - loop.time())

    def start(self) -> None:
        """Begin beating (first beat at once); call from inside the running event loop."""
        if self.running:
            raise RuntimeError("watchdog already started")
        self._task = asyncio.get_running_loop().create_task(self._run(), name="systemd-watchdog")

    async def stop(self) -> None:
        """Stop beating and wait for the task to end; safe to call when not started."""
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        # wait() rather than awaiting the task: a cancellation of stop() itself still propagates.
        await asyncio.wait({task})
