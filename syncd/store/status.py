"""Read-only queries behind the status page and the readiness check."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from syncd.store import schema as t
from syncd.store.store import as_utc


@dataclass(frozen=True)
class SiteOverview:
    key: str
    unit_key: str
    kind: str
    base_url: str
    items: int
    deleted: int
    failures: int
    degraded: bool
    last_success_at: datetime | None
    next_due_at: datetime | None
    last_error: str | None
    # added for the operator's page; defaults keep older constructions valid
    unit_name: str | None = None
    unit_level: str | None = None
    revisions: int = 0
    last_attempt_at: datetime | None = None
    interval_seconds: int | None = None
    lease_until: datetime | None = None


@dataclass(frozen=True)
class EventRow:
    at: datetime
    site_key: str | None
    kind: str
    severity: str
    message: str


async def ping(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))


async def site_overview(engine: AsyncEngine) -> list[SiteOverview]:
    counts = (
        select(
            t.items.c.site_id,
            func.count().label("n_items"),
            func.sum(case((t.items.c.deleted, 1), else_=0)).label("n_deleted"),
            # revisions are append-only and numbered 1..head_seq per item, so this sum counts
            # them without touching the (much larger) revisions table
            func.sum(t.items.c.head_seq).label("n_revisions"),
        )
        .group_by(t.items.c.site_id)
        .subquery()
    )
    query = (
        select(
            t.sites,
            counts.c.n_items,
            counts.c.n_deleted,
            counts.c.n_revisions,
            t.units.c.name.label("unit_name"),
            t.units.c.level.label("unit_level"),
        )
        .outerjoin(counts, counts.c.site_id == t.sites.c.id)
        .outerjoin(t.units, t.units.c.key == t.sites.c.unit_key)
        .order_by(t.sites.c.key)
    )
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [
        SiteOverview(
            r.key,
            r.unit_key,
            r.kind,
            r.base_url,
            int(r.n_items or 0),
            int(r.n_deleted or 0),
            int(r.failures),
            bool(r.degraded),
            as_utc(r.last_success_at),
            as_utc(r.next_due_at),
            r.last_error,
            unit_name=r.unit_name,
            unit_level=r.unit_level,
            revisions=int(r.n_revisions or 0),
            last_attempt_at=as_utc(r.last_attempt_at),
            interval_seconds=r.interval_seconds,
            lease_until=as_utc(r.lease_until),
        )
        for r in rows
    ]


async def recent_events(engine: AsyncEngine, limit: int = 30) -> list[EventRow]:
    query = select(t.events).order_by(t.events.c.id.desc()).limit(limit)
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [EventRow(as_utc(r.at) or r.at, r.site_key, r.kind, r.severity, r.message) for r in rows]


# Events that mean a site's pass went wrong; the newest per site is its "last failure".
FAILURE_KINDS = ("mirror.failed", "mirror.crashed", "site.degraded")


async def last_failures(engine: AsyncEngine, window: int = 20_000) -> dict[str, EventRow]:
    """The newest failure event of each site among the last `window` events.

    The look-back is bounded by id (the primary key) so the page costs the same on a store
    that has logged events for years; a site that has not failed within it shows none.
    """
    newest = select(func.max(t.events.c.id)).scalar_subquery()
    query = (
        select(t.events)
        .where(
            t.events.c.id > newest - window,
            t.events.c.kind.in_(FAILURE_KINDS),
            t.events.c.site_key.is_not(None),
        )
        .order_by(t.events.c.id.desc())
    )
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    found: dict[str, EventRow] = {}
    for r in rows:
        if r.site_key not in found:
            found[r.site_key] = EventRow(
                as_utc(r.at) or r.at, r.site_key, r.kind, r.severity, r.message
            )
    return found


@dataclass(frozen=True)
class BackupEvent:
    at: datetime
    kind: str
    severity: str
    message: str
    data: dict[str, Any]


@dataclass(frozen=True)
class BackupOverview:
    """What the event log says about one backup target (named as the jobs describe it)."""

    target: str
    last_done: BackupEvent | None
    last_failed: BackupEvent | None
    # the newest read-back of the repository: a full verify or the daily sampling
    last_check: BackupEvent | None

    @property
    def snapshot(self) -> str | None:
        value = self.last_done.data.get("snapshot") if self.last_done else None
        return str(value) if value is not None else None


DONE_KINDS = ("backup.done",)
FAILED_KINDS = ("backup.failed",)
CHECK_KINDS = ("backup.verified", "backup.sampled", "backup.damaged")


async def _newest(conn: AsyncConnection, kinds: Iterable[str], limit: int) -> list[BackupEvent]:
    query = (
        select(t.events)
        .where(t.events.c.kind.in_(tuple(kinds)))
        .order_by(t.events.c.id.desc())
        .limit(limit)
    )
    rows = (await conn.execute(query)).all()
    return [
        BackupEvent(
            as_utc(r.at) or r.at,
            r.kind,
            r.severity,
            r.message,
            dict(r.data) if isinstance(r.data, dict) else {},
        )
        for r in rows
    ]


async def backup_overview(engine: AsyncEngine, per_kind: int = 50) -> list[BackupOverview]:
    """Per target: the newest backup, failure and read-back check recorded in the event log.

    Each kind is looked up on its own (newest `per_kind` events) so a long run of one kind,
    such as nightly failures, cannot push the last good backup out of view.
    """
    async with engine.connect() as conn:
        groups = [await _newest(conn, kinds, per_kind)
                  for kinds in (DONE_KINDS, FAILED_KINDS, CHECK_KINDS)]  # fmt: skip
    newest: list[dict[str, BackupEvent]] = []
    for events in groups:
        first: dict[str, BackupEvent] = {}
        for e in events:
            first.setdefault(str(e.data.get("target") or "?"), e)
        newest.append(first)
    done, failed, checked = newest
    targets = sorted(set(done) | set(failed) | set(checked))
    return [BackupOverview(k, done.get(k), failed.get(k), checked.get(k)) for k in targets]
