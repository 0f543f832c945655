"""Read-only queries behind the status page and the readiness check."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

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
        )
        .group_by(t.items.c.site_id)
        .subquery()
    )
    query = (
        select(t.sites, counts.c.n_items, counts.c.n_deleted)
        .outerjoin(counts, counts.c.site_id == t.sites.c.id)
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
        )
        for r in rows
    ]


async def recent_events(engine: AsyncEngine, limit: int = 30) -> list[EventRow]:
    query = select(t.events).order_by(t.events.c.id.desc()).limit(limit)
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [EventRow(as_utc(r.at) or r.at, r.site_key, r.kind, r.severity, r.message) for r in rows]
