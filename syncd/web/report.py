"""What the status page and /status.json show: the store's records judged at one moment.

Both views render the same `StatusReport`, so a monitor reading the JSON sees exactly what an
operator reads on the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from syncd.spans import span
from syncd.store.status import (
    BackupEvent,
    BackupOverview,
    EventRow,
    SiteOverview,
    backup_overview,
    last_failures,
    recent_events,
    site_overview,
)
from syncd.syndication.overview import SyndicationOverview, syndication_overview

# A daily backup that missed one run is late; the daemon is built around nightly backups.
BACKUP_STALE_AFTER = timedelta(hours=26)
REASON_CHARS = 240

# A site's state, worst first: the page lists sites in this order so problems lead.
SITE_STATES = ("failing", "degraded", "pending", "partial", "ok")
BACKUP_STATES = ("failing", "damaged", "stale", "ok")


def one_line(text: str | None, limit: int = REASON_CHARS) -> str:
    """A reason fit for a table cell: whitespace collapsed, long text cut with an ellipsis."""
    if not text:
        return ""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


@dataclass(frozen=True)
class SiteRow:
    site: SiteOverview
    state: str
    reason: str  # one line: why the state is not ok ("" when ok)
    last_failure: EventRow | None
    running: bool

    @property
    def live_items(self) -> int:
        return self.site.items - self.site.deleted


@dataclass(frozen=True)
class BackupRow:
    backup: BackupOverview
    state: str
    reason: str
    age: timedelta | None


@dataclass(frozen=True)
class StatusReport:
    generated_at: datetime
    version: str
    sites: list[SiteRow]
    backups: list[BackupRow]
    events: list[EventRow]
    stale_after: timedelta
    syndication: SyndicationOverview | None = None

    def count(self, state: str) -> int:
        return sum(1 for s in self.sites if s.state == state)

    @property
    def attention(self) -> list[str]:
        """One line per thing an operator should act on; empty when all is well."""
        lines = [f"{r.site.key}: {r.state}" + (f" — {r.reason}" if r.reason else "")
                 for r in self.sites if r.state in ("failing", "degraded")]  # fmt: skip
        lines += [f"{b.backup.target}: {b.state} — {b.reason}"
                  for b in self.backups if b.state != "ok"]  # fmt: skip
        if not self.backups:
            lines.append("backups: none recorded")
        if self.syndication is not None and self.syndication.dead:
            lines.append(f"syndication: {self.syndication.dead} deliveries parked as dead "
                         "(see `syncd deliveries`)")  # fmt: skip
        return lines


def judge_site(site: SiteOverview, failure: EventRow | None, now: datetime) -> SiteRow:
    running = site.lease_until is not None and site.lease_until > now
    if site.failures:
        state, reason = "failing", site.last_error or (failure.message if failure else "")
    elif site.degraded:
        state = "degraded"
        reason = failure.message if failure and failure.kind == "site.degraded" else ""
        reason = reason or site.last_error or "the site lists far less than before"
    elif site.last_success_at is None:
        state, reason = "pending", "not mirrored yet"
    elif site.last_error:
        # the listing worked but some items did not: worth a look, not an alarm
        state, reason = "partial", site.last_error
    else:
        state, reason = "ok", ""
    return SiteRow(site, state, one_line(reason), failure, running)


def judge_backup(backup: BackupOverview, now: datetime, stale_after: timedelta) -> BackupRow:
    done, failed, check = backup.last_done, backup.last_failed, backup.last_check
    age = now - done.at if done else None
    if failed and (done is None or failed.at > done.at):
        state, reason = "failing", failed.message
    elif check and check.kind == "backup.damaged" and (done is None or check.at >= done.at):
        state, reason = "damaged", check.message
    elif done is None:
        state, reason = "stale", "no backup recorded"
    elif age is not None and age > stale_after:
        state, reason = "stale", f"last backup is {span(age.total_seconds())} old"
    elif done.severity != "info":
        state, reason = "damaged", done.message  # a backup whose new packs did not read back
    else:
        state, reason = "ok", ""
    return BackupRow(backup, state, one_line(reason), age)


async def build_report(
    engine: AsyncEngine,
    *,
    version: str,
    now: datetime | None = None,
    stale_after: timedelta = BACKUP_STALE_AFTER,
) -> StatusReport:
    now = now or datetime.now(UTC)
    failures = await last_failures(engine)
    rows = [judge_site(s, failures.get(s.key), now) for s in await site_overview(engine)]
    rows.sort(key=lambda r: (SITE_STATES.index(r.state), r.site.unit_key, r.site.key))
    backups = [judge_backup(b, now, stale_after) for b in await backup_overview(engine)]
    backups.sort(key=lambda b: (BACKUP_STATES.index(b.state), b.backup.target))
    return StatusReport(
        now, version, rows, backups, await recent_events(engine), stale_after,
        await syndication_overview(engine),
    )  # fmt: skip


# -- JSON ------------------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _event(e: EventRow | None) -> dict[str, Any] | None:
    if e is None:
        return None
    return {"at": _iso(e.at), "site": e.site_key, "kind": e.kind, "severity": e.severity,
            "message": e.message}  # fmt: skip


def _backup_event(e: BackupEvent | None) -> dict[str, Any] | None:
    if e is None:
        return None
    return {"at": _iso(e.at), "kind": e.kind, "severity": e.severity, "message": e.message}


def _site_json(r: SiteRow) -> dict[str, Any]:
    s = r.site
    return {
        "key": s.key, "unit": s.unit_key, "unit_name": s.unit_name, "unit_level": s.unit_level,
        "kind": s.kind, "base_url": s.base_url, "state": r.state, "reason": r.reason,
        "running": r.running, "degraded": s.degraded, "failures": s.failures,
        "interval_seconds": s.interval_seconds, "items": r.live_items, "deleted": s.deleted,
        "revisions": s.revisions, "last_success_at": _iso(s.last_success_at),
        "last_attempt_at": _iso(s.last_attempt_at), "next_due_at": _iso(s.next_due_at),
        "last_error": s.last_error, "last_failure": _event(r.last_failure),
    }  # fmt: skip


def _backup_json(b: BackupRow) -> dict[str, Any]:
    o = b.backup
    return {
        "target": o.target, "state": b.state, "reason": b.reason, "snapshot": o.snapshot,
        "age_seconds": int(b.age.total_seconds()) if b.age is not None else None,
        "last_backup": _backup_event(o.last_done), "last_failure": _backup_event(o.last_failed),
        "last_check": _backup_event(o.last_check),
    }  # fmt: skip


def report_json(report: StatusReport) -> dict[str, Any]:
    return {
        "generated_at": _iso(report.generated_at),
        "version": report.version,
        "ok": not report.attention,
        "attention": report.attention,
        "summary": {state: report.count(state) for state in SITE_STATES}
        | {"sites": len(report.sites)},
        "backup_stale_after_seconds": int(report.stale_after.total_seconds()),
        "sites": [_site_json(r) for r in report.sites],
        "backups": [_backup_json(b) for b in report.backups],
        "events": [_event(e) for e in report.events],
        "syndication": _syndication_json(report.syndication),
    }


def _syndication_json(o: SyndicationOverview | None) -> dict[str, Any] | None:
    if o is None:
        return None
    return {
        "copies": o.copies, "pending_deliveries": o.pending, "dead_deliveries": o.dead,
        "awaiting_approval": [
            {"copy": q.id, "target": q.target, "route": q.route, "title": q.title,
             "source_url": q.source_url, "note": q.note, "since": _iso(q.created_at)}
            for q in o.queue
        ],
        "dead": [
            {"delivery": d.id, "copy": d.copy_id, "target": d.target, "action": d.action,
             "error": d.error, "at": _iso(d.at)}
            for d in o.dead_list
        ],
    }  # fmt: skip
