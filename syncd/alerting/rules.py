"""Which alerts fire, decided from facts the store holds. Pure: no clock, no I/O."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from syncd.spans import span
from syncd.store.health import SiteHealth

Severity = Literal["critical", "warning", "info"]


@dataclass(frozen=True)
class Alert:
    rule: str
    subject: str  # a site key or a backup target key
    severity: Severity
    summary: str

    @property
    def key(self) -> str:
        return f"{self.rule}:{self.subject}"


@dataclass(frozen=True)
class TargetFacts:
    key: str
    last_success_at: datetime | None
    last_failure_at: datetime | None = None
    last_failure: str | None = None
    last_damage_at: datetime | None = None  # a sampling read found damage
    last_damage: str | None = None
    last_clean_read_at: datetime | None = None  # a sampling read found none


@dataclass(frozen=True)
class AlertPolicy:
    failing_after: int = 3
    stale_after: timedelta = timedelta(hours=6)
    silent_after: timedelta = timedelta(days=14)
    backup_max_age: timedelta = timedelta(hours=36)


def _later(a: datetime | None, b: datetime | None) -> bool:
    """a happened, and after b (or b never did)."""
    return a is not None and (b is None or a > b)


def _age(now: datetime, then: datetime) -> str:
    return span((now - then).total_seconds())


def site_alerts(site: SiteHealth, policy: AlertPolicy, now: datetime) -> list[Alert]:
    out: list[Alert] = []
    if site.failures >= policy.failing_after:
        reason = f": {site.last_error}" if site.last_error else ""
        out.append(Alert(
            "site_failing", site.key, "warning",
            f"{site.key}: the last {site.failures} passes could not list the site{reason}",
        ))  # fmt: skip
    if site.degraded and site.failures == 0:  # a failed listing is site_failing's to tell
        out.append(Alert(
            "site_degraded", site.key, "critical",
            f"{site.key} looks crashed or emptied; the mirror keeps everything and deletes nothing",
        ))  # fmt: skip
    if site.last_success_at is not None and now - site.last_success_at > policy.stale_after:
        out.append(Alert(
            "site_stale", site.key, "warning",
            f"{site.key} has not been mirrored for {_age(now, site.last_success_at)}",
        ))  # fmt: skip
    if site.last_change_at is not None and now - site.last_change_at > policy.silent_after:
        out.append(Alert(
            "site_silent", site.key, "info",
            f"{site.key} has published nothing for {_age(now, site.last_change_at)}",
        ))  # fmt: skip
    return out


def target_alerts(
    target: TargetFacts, policy: AlertPolicy, now: datetime, watching_since: datetime
) -> list[Alert]:
    """`watching_since`: when checking began; a target never backed up is late only once
    the allowed age has passed since then."""
    out: list[Alert] = []
    if _later(target.last_failure_at, target.last_success_at):
        out.append(Alert(
            "backup_failed", target.key, "critical",
            f"the last backup to {target.key} failed: {target.last_failure or 'no reason given'}",
        ))  # fmt: skip
    newest = target.last_success_at
    if now - (newest or watching_since) > policy.backup_max_age:
        summary = (
            f"no backup to {target.key} has completed for {_age(now, newest)}"
            if newest is not None
            else f"no backup to {target.key} has ever completed"
        )
        out.append(Alert("backup_old", target.key, "critical", summary))
    if _later(target.last_damage_at, target.last_clean_read_at):
        out.append(Alert(
            "backup_damaged", target.key, "critical",
            f"reading back {target.key} found damage: {target.last_damage or 'no detail'}",
        ))  # fmt: skip
    return out


def delivery_alerts(dead_by_target: Mapping[str, int]) -> list[Alert]:
    """SyncdDeliveriesDead: deliveries parked for a person, per target site."""
    return [
        Alert("SyncdDeliveriesDead", target, "warning",
              f"{count} deliveries to {target} are parked as dead (syncd deliveries)")
        for target, count in sorted(dead_by_target.items())
        if count > 0
    ]  # fmt: skip


def evaluate(
    sites: Sequence[SiteHealth],
    targets: Sequence[TargetFacts],
    policy: AlertPolicy,
    now: datetime,
    watching_since: datetime,
    dead_deliveries: Mapping[str, int] | None = None,
) -> dict[str, Alert]:
    """Every alert that fires now, by key."""
    alerts = [a for s in sites for a in site_alerts(s, policy, now)]
    alerts += [a for tg in targets for a in target_alerts(tg, policy, now, watching_since)]
    alerts += delivery_alerts(dead_deliveries or {})
    return {a.key: a for a in alerts}
