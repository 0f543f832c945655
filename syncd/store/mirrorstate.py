"""Bookkeeping the mirror keeps beside the revisions: what each item's listing status is,
conditional-GET validators with the blob they belong to, and each site's polling state."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, and_, bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from syncd.store import schema as t
from syncd.store import statements as sql
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


_SET_MISSING = (
    update(t.items)
    .where(t.items.c.site_id == bindparam("b_site"), t.items.c.source_key == bindparam("b_key"))
    .values(missing_count=bindparam("b_count"))
)
_CHUNK = 500  # stay under SQLite's bound-parameter limit


def _chunks(keys: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(keys), _CHUNK):
        yield keys[start : start + _CHUNK]


def fetch_state_job(
    site_id: int, records: Mapping[str, FetchRecord]
) -> Callable[[Connection], None]:
    """A write job that keeps ``records``: on its own, or inside another transaction (a
    revision's, so validators commit together with the content they vouch for)."""
    now = utcnow()
    values = [
        {"site_id": site_id, "url": url, "etag": r.etag, "last_modified": r.last_modified,
         "sha": r.sha, "updated_at": now}
        for url, r in records.items()
    ]  # fmt: skip

    def job(conn: Connection) -> None:
        # one executemany of an upsert compiled once per engine (see statements.py)
        if values:
            conn.execute(sql.UPSERT_FETCH_STATE, values)

    return job


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
        rows = [{"b_site": site_id, "b_key": key, "b_count": n} for key, n in counts.items()]

        def job(conn: Connection) -> None:
            if rows:
                conn.execute(_SET_MISSING, rows)

        await write(self.engine, job)

    async def load_fetch_state(self, site_id: int) -> dict[str, FetchRecord]:
        async with self.engine.connect() as conn:
            # only the columns kept: converting every row's updated_at cost more than the rest
            fs = t.fetch_state.c
            rows = await conn.execute(
                select(fs.url, fs.etag, fs.last_modified, fs.sha).where(fs.site_id == site_id)
            )
            return {r.url: FetchRecord(r.etag, r.last_modified, r.sha) for r in rows}

    async def save_fetch_state(self, site_id: int, records: Mapping[str, FetchRecord]) -> None:
        if records:
            await write(self.engine, fetch_state_job(site_id, records))

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
        self, owner: str, now: datetime, until: datetime, limit: int, keys: Collection[str]
    ) -> list[str]:
        """Claim up to `limit` of the sites `keys` that are due and not leased by another daemon.

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
                .where(and_(due, free, t.sites.c.key.in_(keys)))
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

    async def renew(self, site_id: int, owner: str, until: datetime) -> bool:
        """Extend `owner`'s lease on a site to `until`; False when the lease is no longer
        `owner`'s (it ran out and another daemon took the site)."""
        async with self.engine.begin() as conn:
            done = await conn.execute(
                update(t.sites)
                .where(t.sites.c.id == site_id, t.sites.c.lease_owner == owner)
                .values(lease_until=until)
            )
        return bool(done.rowcount)

    async def release(self, site_id: int, owner: str) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                update(t.sites)
                .where(t.sites.c.id == site_id, t.sites.c.lease_owner == owner)
                .values(lease_owner=None, lease_until=None)
            )
