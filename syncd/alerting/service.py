"""The daemon's alert checks: facts from the store, rules, one tracker per channel, delivery,
and every notice in the event log, which is also where the trackers are rebuilt from after
a restart (so a restart neither repeats nor forgets an alert)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import structlog
from sqlalchemy import select

from syncd.alerting.rules import Alert, AlertPolicy, TargetFacts, evaluate
from syncd.alerting.tracker import Notice, Open, Tracker
from syncd.config import Config
from syncd.errors import ConfigError
from syncd.store import schema as t
from syncd.store.health import SiteHealth, site_health
from syncd.store.status import backup_overview
from syncd.store.store import Store, as_utc, utcnow
from syncd.syndication.overview import outbox_counts

if TYPE_CHECKING:  # Apprise costs ~20 MB: imported only when a channel is configured
    from syncd.alerting.notify import Channel

log = structlog.get_logger("syncd.alerting")

LOG_CHANNEL = "log"  # the event log and status page: always there
NOTICE_EVENTS = {"firing": "alert.firing", "repeat": "alert.repeat", "resolved": "alert.resolved"}
SENT_EVENT = "alert.sent"
_SEVERITY = {"critical": "error", "warning": "warning", "info": "info"}


def policy_of(config: Config) -> AlertPolicy:
    a = config.alerting
    return AlertPolicy(
        failing_after=a.failing_after,
        stale_after=a.stale_after,
        silent_after=a.silent_after,
        backup_max_age=a.backup_max_age,
    )


def notify_urls(config: Config) -> list[tuple[str, str]]:
    """(label, URL) of each configured channel; the label names the setting, never the URL."""
    return [
        (f"alerting.notify[{i}]", ref.reveal(f"alerting.notify[{i}]"))
        for i, ref in enumerate(config.alerting.notify)
    ]


def open_channels(config: Config) -> list[Channel]:
    if not config.alerting.notify:
        return []
    from syncd.alerting import notify

    try:
        return notify.channels(notify_urls(config))
    except notify.BadURL as exc:
        raise ConfigError(f"alerting.notify[{exc.index}]", str(exc)) from None


async def gather_facts(config: Config, store: Store) -> tuple[list[SiteHealth], list[TargetFacts]]:
    """What the store knows of each configured site and backup target."""
    from syncd.backup.access import describe

    # a disabled site is not mirrored, so it is neither stale nor failing
    mirrored = {s.key for s in config.sites if s.enabled}
    sites = [h for h in await site_health(store.engine) if h.key in mirrored]
    seen = {b.target: b for b in await backup_overview(store.engine)}
    targets = []
    for target in config.backup_targets:
        b = seen.get(describe(target))
        done = b.last_done if b else None
        failed = b.last_failed if b else None
        check = b.last_check if b else None
        damage = check if check is not None and check.kind == "backup.damaged" else None
        clean = check if check is not None and damage is None else None
        if done is not None and done.severity != "info" and (damage is None or done.at > damage.at):
            damage = done  # a backup whose new packs did not all read back
        targets.append(TargetFacts(
            target.key,
            done.at if done else None,
            failed.at if failed else None,
            failed.message if failed else None,
            damage.at if damage else None,
            damage.message if damage else None,
            clean.at if clean else None,
        ))  # fmt: skip
    return sites, targets


@dataclass
class AlertChecks:
    """Evaluate the rules and tell every channel what changed. `check` is one round."""

    config: Config
    store: Store
    started_at: datetime
    channels: Sequence[Channel] = ()
    trackers: dict[str, Tracker] | None = None

    async def load(self) -> None:
        """Rebuild each channel's tracker from the notices in the event log."""
        every = self.config.alerting.repeat_every
        labels = [LOG_CHANNEL] + [c.label for c in self.channels]
        self.trackers = {label: Tracker(every or None) for label in labels}
        kinds = [*NOTICE_EVENTS.values(), SENT_EVENT]
        query = (
            select(t.events.c.at, t.events.c.kind, t.events.c.data)
            .where(t.events.c.kind.in_(kinds))
            .order_by(t.events.c.id.desc())
            .limit(5000)  # newest first; far more than the alerts open at once
        )
        async with self.store.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        seen: set[tuple[str, str]] = set()
        for row in rows:
            data = row.data or {}
            label = data.get("channel", LOG_CHANNEL)
            key = data.get("key")
            if label not in self.trackers or not key or (label, key) in seen:
                continue
            seen.add((label, key))
            if data.get("notice") == "resolved" or row.kind == NOTICE_EVENTS["resolved"]:
                continue
            alert = Alert(data["rule"], data["subject"], data["severity"], data["summary"])
            since = datetime.fromisoformat(data["since"])
            self.trackers[label].open[key] = Open(alert, since, as_utc(row.at) or row.at)

    async def check(self, now: datetime | None = None) -> list[Notice]:
        """One round; returns the notices written to the event log."""
        if self.trackers is None:
            await self.load()
        assert self.trackers is not None
        now = now or utcnow()
        sites, targets = await gather_facts(self.config, self.store)
        dead = {target: n for (target, state), n in
                (await outbox_counts(self.store.engine)).items() if state == "dead"}  # fmt: skip
        firing = evaluate(sites, targets, policy_of(self.config), now, self.started_at, dead)
        logged = self.trackers[LOG_CHANNEL].step(firing, now)
        for notice in logged:
            await self._record(notice, LOG_CHANNEL)
            self.trackers[LOG_CHANNEL].delivered(notice, now)
        for channel in self.channels:
            await self._deliver(channel, firing, now)
        return logged

    async def _deliver(self, channel: Channel, firing: dict[str, Alert], now: datetime) -> None:
        from syncd.alerting import notify

        assert self.trackers is not None
        tracker = self.trackers[channel.label]
        for notice in tracker.step(firing, now):
            if await notify.send(channel, notice):
                tracker.delivered(notice, now)
                await self._record(notice, channel.label)
            else:
                # offered again at the next round; the log says so once a minute at most
                log.warning("alert not delivered", channel=channel.label, alert=notice.alert.key)

    async def _record(self, notice: Notice, label: str) -> None:
        a = notice.alert
        data = {
            "key": a.key, "rule": a.rule, "subject": a.subject, "severity": a.severity,
            "summary": a.summary, "since": notice.since.isoformat(), "notice": notice.kind,
            "channel": label,
        }  # fmt: skip
        if label == LOG_CHANNEL:
            kind, severity = NOTICE_EVENTS[notice.kind], _SEVERITY[a.severity]
            message = a.summary if notice.kind != "resolved" else f"resolved: {a.summary}"
        else:
            kind, severity = SENT_EVENT, "info"
            message = f"{notice.kind} {a.key} sent to {label}"
        site = a.subject if a.rule.startswith("site_") else None
        await self.store.log_event(kind, message, site_key=site, severity=severity, data=data)
