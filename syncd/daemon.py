"""The daemon: one object with explicit start and stop that keeps every site mirrored.

A scheduler tick leases the sites that are due (several daemons on one PostgreSQL share the
work this way) and runs their passes with bounded concurrency. A pass that fails is recorded
and retried later with backoff; nothing a site does can stop the daemon.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
from collections.abc import Awaitable, Callable, Coroutine
from datetime import timedelta
from typing import Any

import structlog

from connectors.http import HttpClient
from syncd.alerting.service import AlertChecks, gather_facts, open_channels, policy_of
from syncd.config import Config
from syncd.config.addresses import split_listen
from syncd.errors import SyncdError
from syncd.gc_tuning import tune_gc
from syncd.metrics import Metrics
from syncd.mirror.pipeline import PassResult
from syncd.mirror.runner import Mirror, http_policy
from syncd.scheduling import Scheduler
from syncd.store.health import watching_since
from syncd.store.mirrorstate import MirrorState
from syncd.store.open import open_store
from syncd.store.status import ping
from syncd.store.store import Store, utcnow
from syncd.syndication.delivery import Deliverer, deliverer_of
from syncd.syndication.overview import outbox_counts
from syncd.web.app import WebServer
from syncd.web.syndication import SyndicationWeb

log = structlog.get_logger("syncd.daemon")

SAMPLING_CRON = "30 4 * * *"  # daily read-back of a slice of each backup repository
# A daemon holds a site for this long from its last renewal; a pass renews it every third of
# it, so a slow site keeps its daemon, and a crashed daemon's sites free up within LEASE.
LEASE = timedelta(minutes=5)


class LeaseLost(Exception):
    """Another daemon holds the site now: this one stops its pass."""


class Daemon:
    def __init__(
        self,
        config: Config,
        *,
        tick_seconds: float = 5.0,
        web: bool = True,
        lease: timedelta = LEASE,
        owner: str | None = None,
    ) -> None:
        self.config = config
        self.tick_seconds = tick_seconds
        self.lease = lease
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}"
        self.metrics = Metrics()
        self.scheduler = Scheduler()
        self._web_enabled = web
        self._store: Store | None = None
        self._http: HttpClient | None = None
        self._mirror: Mirror | None = None
        self._web: WebServer | None = None
        self._deliverer: Deliverer | None = None
        self._running: dict[str, asyncio.Task[PassResult | None]] = {}
        self._slots = asyncio.Semaphore(config.daemon.concurrency)
        self.status_url: str | None = None
        self._scheduled = False
        self._stopping = False
        self._closed = False
        self._tick_lock = asyncio.Lock()
        self._delivery_lock = asyncio.Lock()
        self._kick: asyncio.Task[None] | None = None
        self._again: set[str] = set()  # sites pinged while their pass ran

    @property
    def store(self) -> Store:
        assert self._store is not None, "the daemon is not started"
        return self._store

    @property
    def mirror(self) -> Mirror:
        assert self._mirror is not None, "the daemon is not started"
        return self._mirror

    async def start(self, *, schedule: bool = True) -> None:
        """Open the store (migrating it), start HTTP and the status page; with `schedule`,
        start the scheduler too (burst runs leave it off and call run_burst). When a step
        fails, what the earlier ones opened is closed again before the error goes up."""
        try:
            await self._start(schedule)
        except BaseException:
            await self._close()
            raise

    async def _start(self, schedule: bool) -> None:
        self._store = await open_store(self.config)
        self._http = HttpClient(http_policy(self.config))
        await self._http.start()
        self._mirror = Mirror(self.config, self._store, self._http)
        await self._mirror.register_sites()
        self._deliverer = deliverer_of(self.config, self._store, self._http, self.owner)
        if self._deliverer is not None:
            # from the store, so a restart does not silence a dead-delivery alert
            self.metrics.outbox(await outbox_counts(self._store.engine))
        tune_gc()  # start-up is over: what it built stays
        await self._remember_health()
        since = await watching_since(self._store.engine) or utcnow()
        self.alerts = AlertChecks(self.config, self._store, since, open_channels(self.config))
        await self.alerts.load()
        if self._web_enabled:
            host, port = split_listen(self.config.daemon.listen)
            self._web = WebServer(
                self._store, self.metrics, host, port,
                backup_stale_after=policy_of(self.config).backup_max_age,
                syndication=SyndicationWeb(
                    self._store,
                    site_urls={s.key: s.base_url for s in self.config.sites},
                    site_names={s.key: self.config.unit(s.unit).name for s in self.config.sites},
                    on_ping=self.sync_now,
                ),
            )  # fmt: skip
            self.status_url = await self._listen(self._web)
        self._scheduled = schedule
        if schedule:
            self.scheduler.every("mirror-tick", self.tick_seconds, self.tick)
            if self._deliverer is not None:
                self.scheduler.every("deliveries", self.tick_seconds, self._deliver)
            self.scheduler.every(
                "alerts", self.config.alerting.check_every.total_seconds(), self._check_alerts
            )
            for target in self.config.backup_targets:
                self.scheduler.cron(f"backup:{target.key}", target.schedule,
                                    self._backup_job(target.key, "backup"))  # fmt: skip
                self.scheduler.cron(f"sample:{target.key}", SAMPLING_CRON,
                                    self._backup_job(target.key, "sample"))  # fmt: skip
            self.scheduler.start()
        self.metrics.up.set(1)
        log.info("daemon started", sites=len(self.config.sites), status=self.status_url)

    async def sync_now(self, key: str) -> None:
        """Mirror a site at once (an update ping said it published): it becomes due now, and
        a tick runs so the pass starts without waiting for the next one."""
        if self._stopping:
            return
        log.info("update ping", site=key)
        if key in self._running:
            # the pass under way may have listed the site before the new post: one more after
            self._again.add(key)
            return
        state = MirrorState(self.store.engine)
        await state.update_site(await self.store.site_id(key), next_due_at=utcnow())
        await self.tick()

    async def _deliver(self) -> None:
        assert self._deliverer is not None
        if self._stopping:
            return
        try:
            async with self._delivery_lock:
                if self._stopping:
                    return
                await self._deliverer.run_due()
                self.metrics.outbox(await outbox_counts(self.store.engine))
        except Exception:
            # a broken round must not stop the daemon; its leases lapse and the next retries
            log.exception("delivery round failed")

    async def _listen(self, web: WebServer) -> str:
        try:
            return await web.start()
        except OSError as exc:
            # a port in use, a host that does not resolve or an address not (yet) on this
            # machine: the machine's state, which may change (the network comes up late at
            # boot), so exit 1 and let systemd try again; the syntax was checked at load
            reason = exc.strerror if isinstance(exc, socket.gaierror) else None
            reason = reason or (os.strerror(exc.errno) if exc.errno else str(exc))
            listen = self.config.daemon.listen
            raise SyncdError(f"daemon.listen: cannot listen on {listen!r}: {reason}") from None

    async def _check_alerts(self) -> None:
        try:
            await self.alerts.check()
        except Exception:
            # a broken check must not stop the daemon; the next round tries again
            log.exception("alert check failed")

    async def _remember_health(self) -> None:
        self.metrics.remember(*await gather_facts(self.config, self.store))

    async def stop(self, grace: float = 30.0) -> None:
        if self._closed:  # a start that failed has closed what it opened already
            return
        # let a tick in flight finish first: shutting the scheduler down cancels running jobs
        async with self._tick_lock:
            self._stopping = True
        if self._deliverer is not None:
            # a round in flight finishes the delivery at hand and hands the rest back
            self._deliverer.stop()
            async with self._delivery_lock:
                pass
        self.scheduler.shutdown()
        if self._running:
            log.info("waiting for passes to finish", sites=sorted(self._running))
            _, pending = await asyncio.wait(list(self._running.values()), timeout=grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        if self._kick is not None:
            await asyncio.gather(self._kick, return_exceptions=True)
        await self._close()
        log.info("daemon stopped")

    async def _close(self) -> None:
        self._closed = True
        if self._web is not None:
            await self._web.stop()
        if self._http is not None:
            await self._http.close()
        if self._store is not None:
            await self._store.close()
        self.metrics.up.set(0)

    async def healthy(self) -> bool:
        """Alive for the watchdog: the scheduler runs and the store answers."""
        if self._store is None or (self._scheduled and not self.scheduler.running):
            return False
        try:
            await asyncio.wait_for(ping(self._store.engine), timeout=10)
        except Exception:
            return False
        return True

    async def tick(self) -> None:
        # stop() takes this lock, so no tick is half-way through the store when it closes
        async with self._tick_lock:
            if self._stopping:
                return
            free = self.config.daemon.concurrency - len(self._running)
            if free <= 0:
                return
            now = utcnow()
            state = MirrorState(self.store.engine)
            enabled = [s.key for s in self.config.sites if s.enabled]
            until = now + self.lease
            for key in await state.lease_due_sites(self.owner, now, until, free, enabled):
                if key not in self._running:
                    self._running[key] = asyncio.create_task(self._pass(key), name=f"mirror:{key}")

    async def _pass(self, key: str) -> PassResult | None:
        started = time.monotonic()
        try:
            result = await self._leased(key, self._run_site(key))
            self.metrics.observe_pass(result, time.monotonic() - started, time.time())
            if self._deliverer is not None and (result.new or result.changed or result.deleted):
                # what the pass put in the outbox goes out now, not at the next tick
                self._kick = asyncio.create_task(self._deliver())
            return result
        except LeaseLost:
            log.error("lease lost: another daemon took the site; pass stopped", site=key)
            await self.store.log_event(
                "mirror.failed", "lease lost to another daemon; pass stopped",
                site_key=key, severity="error",
            )  # fmt: skip
            return None
        except Exception as exc:
            # A bug in one pass must not take the daemon down; it is logged and recorded.
            log.exception("mirror pass crashed", site=key)
            await self.store.log_event(
                "mirror.crashed", f"{type(exc).__name__}: {exc}", site_key=key, severity="error"
            )
            return None
        finally:
            self._running.pop(key, None)
            await MirrorState(self.store.engine).release(await self.store.site_id(key), self.owner)
            if key in self._again:
                self._again.discard(key)
                await self.sync_now(key)

    async def _run_site(self, key: str) -> PassResult:
        async with self._slots:
            return await self.mirror.run_site(key)

    async def _leased(self, key: str, work: Coroutine[Any, Any, PassResult]) -> PassResult:
        """Run a site's pass while renewing this daemon's lease on it; LeaseLost (and the
        pass cancelled) when a renewal finds the site in other hands."""
        site_id = await self.store.site_id(key)
        state = MirrorState(self.store.engine)
        task = asyncio.ensure_future(work)
        every = self.lease.total_seconds() / 3
        try:
            while True:
                done, _ = await asyncio.wait({task}, timeout=every)
                if done:
                    return task.result()
                try:
                    kept = await state.renew(site_id, self.owner, utcnow() + self.lease)
                except Exception:
                    # the store is unreachable: the pass will find out too; try again later
                    log.warning("lease renewal failed", site=key, exc_info=True)
                    continue
                if not kept:
                    raise LeaseLost(key)
        finally:
            if not task.done():
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)

    def _backup_job(self, key: str, job: str) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            from syncd.backup.schedule import scheduled_backup, scheduled_sampling

            try:
                if job == "backup":
                    await scheduled_backup(self.config, self.store, key)
                    self.metrics.backup_success.labels(key).set(time.time())
                else:
                    await scheduled_sampling(self.config, self.store, key)
            except Exception:
                # recorded as an event by the job itself; the daemon goes on
                log.exception("backup job failed", target=key, job=job)
                self.metrics.backups.labels(key, job, "failed").inc()
                return
            self.metrics.backups.labels(key, job, "ok").inc()

        return run

    async def run_burst(self) -> list[PassResult]:
        """Run every due site once, wait for all, and return (tests, one-shot runs)."""
        await self.tick()
        results = await asyncio.gather(*list(self._running.values()))
        if self._deliverer is not None:
            # after any round the passes started: what it leased is done when it returns
            async with self._delivery_lock:
                await self._deliverer.run_until_idle()
        return [r for r in results if r is not None]
