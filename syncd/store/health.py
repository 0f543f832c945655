"""What the store remembers about each site's health: read by the alert checks, and once at
daemon start so that alerting gauges survive a restart (a gauge that is absent never fires).
Backup targets' health comes from the event log (syncd.store.status.backup_overview)."""

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
    last_error: str | None = None


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
        t.sites.c.last_error,
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
            r.last_error,
        )
        for r in rows
    ]


async def watching_since(engine: AsyncEngine) -> datetime | None:
    """When the store began to watch anything: its first site's registration."""
    async with engine.connect() as conn:
        first = (await conn.execute(select(func.min(t.sites.c.created_at)))).scalar()
    return as_utc(first)
