"""The one adapter around APScheduler (3.x): jobs are named coroutines on triggers.

Job state (what is due, what failed) lives in syncd's own tables; the scheduler only wakes
things up, so it keeps no job store of its own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

Job = Callable[[], Awaitable[None]]


def cron_trigger(expression: str) -> CronTrigger:
    """A trigger from a five-field crontab expression; ValueError names what is wrong."""
    return CronTrigger.from_crontab(expression, timezone="UTC")


def next_cron_time(expression: str, after: datetime) -> datetime | None:
    fire: datetime | None = cron_trigger(expression).get_next_fire_time(None, after)
    return fire


class Scheduler:
    def __init__(self) -> None:
        self._scheduler = AsyncIOScheduler(
            timezone="UTC",
            # a job still running when it is due again is skipped, not stacked
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
        )

    def every(self, name: str, seconds: float, job: Job, *, start_now: bool = True) -> None:
        trigger = IntervalTrigger(seconds=seconds, timezone="UTC")
        kwargs = {"next_run_time": datetime.now().astimezone()} if start_now else {}
        self._scheduler.add_job(job, trigger, id=name, name=name, **kwargs)

    def cron(self, name: str, expression: str, job: Job) -> None:
        self._scheduler.add_job(job, cron_trigger(expression), id=name, name=name)

    def start(self) -> None:
        self._scheduler.start()

    @property
    def running(self) -> bool:
        return bool(self._scheduler.running)

    def shutdown(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
