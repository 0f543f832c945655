"""Syndication at a glance, for the status page, /status.json, metrics and alerts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from syncd.store import schema as t
from syncd.store.store import as_utc

SHOWN = 20


@dataclass(frozen=True)
class QueuedCopy:
    id: int
    target: str
    route: str
    title: str | None
    source_url: str
    note: str | None
    created_at: datetime


@dataclass(frozen=True)
class DeadDelivery:
    id: int
    copy_id: int
    target: str
    action: str
    error: str | None
    at: datetime | None


@dataclass(frozen=True)
class SyndicationOverview:
    copies: dict[str, int]  # state -> count
    pending: int  # deliveries waiting to be carried out
    dead: int  # deliveries parked for a person
    queue: list[QueuedCopy]  # the oldest copies waiting for approval
    dead_list: list[DeadDelivery]  # the newest dead deliveries

    @property
    def awaiting(self) -> int:
        return self.copies.get("awaiting_approval", 0)


async def syndication_overview(engine: AsyncEngine) -> SyndicationOverview:
    c, d, i, r = t.copies, t.deliveries, t.items, t.revisions
    head_title = (
        select(r.c.title)
        .where(r.c.item_id == i.c.id, r.c.seq == i.c.head_seq)
        .scalar_subquery()
    )
    async with engine.connect() as conn:
        copies = {
            row.state: int(row.n)
            for row in await conn.execute(
                select(c.c.state, func.count().label("n")).group_by(c.c.state)
            )
        }
        by_state = {
            row.state: int(row.n)
            for row in await conn.execute(
                select(d.c.state, func.count().label("n"))
                .where(d.c.state.in_(["pending", "dead"]))
                .group_by(d.c.state)
            )
        }
        queue = [
            QueuedCopy(int(row.id), row.target_site_key, row.route_key, row.title, row.url,
                       row.decision_note, as_utc(row.created_at) or row.created_at)
            for row in await conn.execute(
                select(c.c.id, c.c.target_site_key, c.c.route_key, head_title.label("title"),
                       i.c.url, c.c.decision_note, c.c.created_at)
                .join(i, i.c.id == c.c.source_item_id)
                .where(c.c.state == "awaiting_approval")
                .order_by(c.c.id)
                .limit(SHOWN)
            )
        ]
        dead = [
            DeadDelivery(int(row.id), int(row.copy_id), row.target_site_key, row.action,
                         row.last_error, as_utc(row.done_at))
            for row in await conn.execute(
                select(d.c.id, d.c.copy_id, c.c.target_site_key, d.c.action, d.c.last_error,
                       d.c.done_at)
                .join(c, c.c.id == d.c.copy_id)
                .where(d.c.state == "dead")
                .order_by(d.c.id.desc())
                .limit(SHOWN)
            )
        ]
    return SyndicationOverview(
        copies, by_state.get("pending", 0), by_state.get("dead", 0), queue, dead
    )


async def outbox_counts(engine: AsyncEngine) -> dict[tuple[str, str], int]:
    """(target site, state) -> deliveries, for the pending and dead ones."""
    c, d = t.copies, t.deliveries
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(c.c.target_site_key, d.c.state, func.count().label("n"))
            .join(c, c.c.id == d.c.copy_id)
            .where(d.c.state.in_(["pending", "dead"]))
            .group_by(c.c.target_site_key, d.c.state)
        )
        return {(r.target_site_key, r.state): int(r.n) for r in rows}
