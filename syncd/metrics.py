"""Prometheus metrics of the daemon, in a registry of its own (so tests can run several)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from syncd.alerting.rules import TargetFacts
from syncd.mirror.pipeline import PassResult
from syncd.store.health import SiteHealth


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._outbox_seen: dict[tuple[str, str], int] = {}
        r = self.registry
        self.passes = Counter(
            "syncd_mirror_passes_total",
            "Mirror passes by outcome.",
            ["site", "outcome"],
            registry=r,
        )
        self.items = Counter(
            "syncd_mirror_items_total", "Items seen by a pass, by what happened.",
            ["site", "result"], registry=r,
        )  # fmt: skip
        self.bytes = Counter(
            "syncd_mirror_bytes_total", "Bytes of content and media fetched.", ["site"], registry=r
        )
        self.duration = Histogram(
            "syncd_mirror_pass_duration_seconds", "Duration of one mirror pass.", ["site"],
            buckets=(0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900), registry=r,
        )  # fmt: skip
        self.last_success = Gauge(
            "syncd_site_last_success_timestamp_seconds", "When a pass last listed the site.",
            ["site"], registry=r,
        )  # fmt: skip
        self.failures = Gauge(
            "syncd_site_failures", "Passes in a row that failed to list the site (0 after one that "
            "did).", ["site"], registry=r,
        )  # fmt: skip
        self.last_change = Gauge(
            "syncd_site_last_change_timestamp_seconds",
            "When the site last published something new or changed (its newest revision).",
            ["site"], registry=r,
        )  # fmt: skip
        self.degraded = Gauge(
            "syncd_site_degraded",
            "1 while the site looks crashed or emptied.",
            ["site"],
            registry=r,
        )
        self.up = Gauge("syncd_up", "1 while the daemon runs.", registry=r)
        self.backups = Counter(
            "syncd_backup_runs_total", "Backup and read-back runs by outcome.",
            ["target", "kind", "outcome"], registry=r,
        )  # fmt: skip
        self.backup_targets = Gauge(
            "syncd_backup_target_configured", "1 for each configured backup target.", ["target"],
            registry=r,
        )  # fmt: skip
        self.backup_success = Gauge(
            "syncd_backup_last_success_timestamp_seconds", "When a backup last completed.",
            ["target"], registry=r,
        )  # fmt: skip
        self.deliveries = Gauge(
            "syncd_syndication_deliveries", "Deliveries in the outbox by target site and state "
            "(pending: waiting or retrying; dead: parked for a person).", ["target", "state"],
            registry=r,
        )  # fmt: skip

    def observe_pass(self, result: PassResult, seconds: float, finished_at: float) -> None:
        site = result.site
        outcome = "failed" if result.listing_failed else ("degraded" if result.degraded else "ok")
        self.passes.labels(site, outcome).inc()
        for name in ("new", "changed", "unchanged", "deleted", "failed", "gone"):
            self.items.labels(site, name).inc(getattr(result, name))
        self.bytes.labels(site).inc(result.bytes)
        self.duration.labels(site).observe(seconds)
        self.degraded.labels(site).set(1 if result.degraded else 0)
        if result.listing_failed:
            self.failures.labels(site).inc()
        else:
            self.failures.labels(site).set(0)
            self.last_success.labels(site).set(finished_at)
        if result.new or result.changed:
            self.last_change.labels(site).set(finished_at)

    def remember(self, sites: Iterable[SiteHealth], targets: Iterable[TargetFacts]) -> None:
        """Start from what the store recorded, so that a restart does not silence an alert
        (an absent series never fires)."""
        for h in sites:
            self.failures.labels(h.key).set(h.failures)
            self.degraded.labels(h.key).set(1 if h.degraded else 0)
            if h.last_success_at is not None:
                self.last_success.labels(h.key).set(h.last_success_at.timestamp())
            if h.last_change_at is not None:
                self.last_change.labels(h.key).set(h.last_change_at.timestamp())
        for target in targets:
            self.backup_targets.labels(target.key).set(1)
            # a counter first seen at 1 has no increase; start every series at 0
            for job in ("backup", "sample"):
                for outcome in ("ok", "failed"):
                    self.backups.labels(target.key, job, outcome)
            if target.last_success_at is not None:
                self.backup_success.labels(target.key).set(target.last_success_at.timestamp())

    def outbox(self, counts: Mapping[tuple[str, str], int]) -> None:
        """(target, state) -> deliveries; targets that emptied go back to 0, not away."""
        for (target, state), _ in list(self._outbox_seen.items()):
            if (target, state) not in counts:
                self.deliveries.labels(target, state).set(0)
        for (target, state), count in counts.items():
            self.deliveries.labels(target, state).set(count)
            self._outbox_seen[(target, state)] = count

    def render(self) -> bytes:
        return bytes(generate_latest(self.registry))
