"""What the store remembers about each site's and target's health, read once at daemon start
so that alerting gauges survive a restart (a gauge that is absent never fires)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from syncd.store import schema as t
from syncd.store.store import as_utc


@dataclass(frozen=True)
class SiteHealth:
    key: str
    failures: int
    degraded: bool
    last_success_at: datetime | None
    last_change_at: datetime | None  # newest revision that is not a tombstone


async def site_health(engine: AsyncEngine) -> list[SiteHealth]:
    changes = (
        select(t.items.c.site_id, func.max(t.revisions.c.created_at).label("last_change"))
        .join(t.revisions, and_(t.revisions.c.item_id == t.items.c.id, ~t.revisions.c.tombstone))
        .group_by(t.items.c.site_id)
        .subquery()
    )
    query = select(
        t.sites.c.key,
        t.sites.c.failures,
        t.sites.c.degraded,
        t.sites.c.last_success_at,
        changes.c.last_change,
    ).outerjoin(changes, changes.c.site_id == t.sites.c.id)
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [
        SiteHealth(
            r.key,
            int(r.failures),
            bool(r.degraded),
            as_utc(r.last_success_at),
            as_utc(r.last_change),
        )
        for r in rows
    ]


async def last_backups(engine: AsyncEngine, places: set[str]) -> dict[str, datetime]:
    """When a backup to each of `places` (as the events name them) last completed."""
    found: dict[str, datetime] = {}
    query = (
        select(t.events.c.at, t.events.c.data)
        .where(t.events.c.kind == "backup.done")
        .order_by(t.events.c.id.desc())
        .limit(1000)  # newest first: far more than one per target of any real configuration
    )
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    for row in rows:
        place = (row.data or {}).get("target")
        if place in places and place not in found:
            found[place] = as_utc(row.at) or row.at
    return found
