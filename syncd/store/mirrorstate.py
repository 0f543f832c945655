"""Bookkeeping the mirror keeps beside the revisions: what each item's listing status is,
conditional-GET validators with the blob they belong to, and each site's polling state."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, and_, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine

from syncd.store import schema as t
from syncd.store.store import as_utc, utcnow, write


@dataclass(frozen=True)
class FetchRecord:
    etag: str | None
    last_modified: str | None
    sha: str | None


@dataclass(frozen=True)
class SiteStatus:
    key: str
    failures: int
    idle_passes: int
    degraded: bool
    last_success_at: datetime | None
    last_attempt_at: datetime | None
    next_due_at: datetime | None
    last_error: str | None


_CHUNK = 500  # stay under SQLite's bound-parameter limit


def _chunks(keys: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(keys), _CHUNK):
        yield keys[start : start + _CHUNK]


class MirrorState:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def live_items(self, site_id: int) -> dict[str, int]:
        """Source key -> missing count of every stored item that is not deleted."""
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(t.items.c.source_key, t.items.c.missing_count).where(
                    t.items.c.site_id == site_id, t.items.c.deleted.is_(False)
                )
            )
            return {row.source_key: int(row.missing_count) for row in rows}

    async def mark_seen(self, site_id: int, keys: Iterable[str], at: datetime) -> None:
        def job(conn: Connection) -> None:
            for chunk in _chunks(list(keys)):
                conn.execute(
                    update(t.items)
                    .where(t.items.c.site_id == site_id, t.items.c.source_key.in_(chunk))
                    .values(last_seen_at=at, missing_count=0)
                )

        await write(self.engine, job)

    async def mark_missing(self, site_id: int, counts: Mapping[str, int]) -> None:
        def job(conn: Connection) -> None:
            for key, count in counts.items():
                conn.execute(
                    update(t.items)
                    .where(t.items.c.site_id == site_id, t.items.c.source_key == key)
                    .values(missing_count=count)
                )

        await write(self.engine, job)

    async def load_fetch_state(self, site_id: int) -> dict[str, FetchRecord]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(t.fetch_state).where(t.fetch_state.c.site_id == site_id)
            )
            return {r.url: FetchRecord(r.etag, r.last_modified, r.sha) for r in rows}

    async def save_fetch_state(self, site_id: int, records: Mapping[str, FetchRecord]) -> None:
        if not records:
            return
        now = utcnow()
        values = [
            {"site_id": site_id, "url": url, "etag": r.etag, "last_modified": r.last_modified,
             "sha": r.sha, "updated_at": now}
            for url, r in records.items()
        ]  # fmt: skip

        def job(conn: Connection) -> None:
            insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
            stmt = insert(t.fetch_state)
            stmt = stmt.on_conflict_do_update(
                index_elements=["site_id", "url"],
                set_={
                    "etag": stmt.excluded.etag,
                    "last_modified": stmt.excluded.last_modified,
                    "sha": stmt.excluded.sha,
                    "updated_at": stmt.excluded.updated_at,
                },
            )
            for start in range(0, len(values), 200):
                conn.execute(stmt, values[start : start + 200])

        await write(self.engine, job)

    async def site_status(self, site_id: int) -> SiteStatus:
        async with self.engine.connect() as conn:
            r = (await conn.execute(select(t.sites).where(t.sites.c.id == site_id))).one()
        return SiteStatus(
            r.key, int(r.failures), int(r.idle_passes or 0), bool(r.degraded),
            as_utc(r.last_success_at), as_utc(r.last_attempt_at), as_utc(r.next_due_at),
            r.last_error,
        )  # fmt: skip

    async def update_site(self, site_id: int, **values: object) -> None:
        def job(conn: Connection) -> None:
            conn.execute(update(t.sites).where(t.sites.c.id == site_id).values(**values))

        await write(self.engine, job)

    async def lease_due_sites(
        self, owner: str, now: datetime, until: datetime, limit: int
    ) -> list[str]:
        """Claim up to `limit` sites that are due and not leased by another daemon.

        On PostgreSQL, FOR UPDATE SKIP LOCKED lets several daemons claim disjoint sites at once;
        SQLite serialises writers anyway.
        """
        due = or_(t.sites.c.next_due_at.is_(None), t.sites.c.next_due_at <= now)
        free = or_(
            t.sites.c.lease_until.is_(None),
            t.sites.c.lease_until < now,
            t.sites.c.lease_owner == owner,
        )
        async with self.engine.begin() as conn:
            query = (
                select(t.sites.c.id, t.sites.c.key)
                .where(and_(due, free))
                .order_by(t.sites.c.next_due_at.nulls_first())
                .limit(limit)
            )
            if conn.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            rows = (await conn.execute(query)).all()
            ids = [row.id for row in rows]
            if ids:
                await conn.execute(
                    update(t.sites)
                    .where(t.sites.c.id.in_(ids))
                    .values(lease_owner=owner, lease_until=until)
                )
        return [row.key for row in rows]

    async def release(self, site_id: int, owner: str) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                update(t.sites)
                .where(t.sites.c.id == site_id, t.sites.c.lease_owner == owner)
                .values(lease_owner=None, lease_until=None)
            )
