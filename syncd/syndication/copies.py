"""What people do with copies: approve or reject a queued one, list an item's copies, unlink a
copy so it is no longer updated, and link it again. Every decision records who made it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from syncd.errors import NotFound, SyncdError
from syncd.store import schema as t
from syncd.store.store import Store, utcnow, write
from syncd.syndication.outbox import add_delivery, set_state, supersede


class CopyStateError(SyncdError):
    """The copy is not in a state that allows the action asked for."""

    exit_code = 1


@dataclass(frozen=True)
class CopyInfo:
    id: int
    origin: str
    source_item_id: int
    source_url: str
    title: str | None
    target: str
    route: str
    state: str
    remote_url: str | None
    note: str | None
    decided_by: str | None
    created_at: datetime
    last_delivery: str | None  # state of the newest delivery, with its error if any


def _copies_query() -> Any:
    c, i = t.copies, t.items
    head_title = (
        select(t.revisions.c.title)
        .where(t.revisions.c.item_id == i.c.id, t.revisions.c.seq == i.c.head_seq)
        .scalar_subquery()
    )
    last = (
        select(t.deliveries.c.state + ": " + t.deliveries.c.last_error)
        .where(t.deliveries.c.copy_id == c.c.id)
        .order_by(t.deliveries.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    last_state = (
        select(t.deliveries.c.state)
        .where(t.deliveries.c.copy_id == c.c.id)
        .order_by(t.deliveries.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return select(
        c.c.id, c.c.origin, c.c.source_item_id, i.c.url.label("source_url"),
        head_title.label("title"), c.c.target_site_key, c.c.route_key, c.c.state,
        c.c.remote_url, c.c.decision_note, c.c.decided_by, c.c.created_at,
        last.label("last_error"), last_state.label("last_state"),
    ).join(i, i.c.id == c.c.source_item_id)  # fmt: skip


def _info(row: Any) -> CopyInfo:
    return CopyInfo(
        id=int(row.id), origin=row.origin, source_item_id=int(row.source_item_id),
        source_url=row.source_url, title=row.title, target=row.target_site_key,
        route=row.route_key, state=row.state, remote_url=row.remote_url,
        note=row.decision_note, decided_by=row.decided_by, created_at=row.created_at,
        last_delivery=row.last_error or row.last_state,
    )  # fmt: skip


async def awaiting_approval(store: Store) -> list[CopyInfo]:
    async with store.engine.connect() as conn:
        rows = await conn.execute(
            _copies_query().where(t.copies.c.state == "awaiting_approval").order_by(t.copies.c.id)
        )
        return [_info(r) for r in rows]


async def copies_of(store: Store, item_id: int) -> list[CopyInfo]:
    """Every copy made from the item, and every copy of the origin it is itself a copy of."""
    async with store.engine.connect() as conn:
        origins = select(t.copies.c.origin).where(
            (t.copies.c.source_item_id == item_id) | (t.copies.c.copy_item_id == item_id)
        )
        rows = await conn.execute(
            _copies_query()
            .where((t.copies.c.source_item_id == item_id) | t.copies.c.origin.in_(origins))
            .order_by(t.copies.c.target_site_key)
        )
        return [_info(r) for r in rows]


def _copy_for_update(conn: Connection, copy_id: int) -> Any:
    query = select(t.copies).where(t.copies.c.id == copy_id)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).first()
    if row is None:
        raise NotFound(f"no copy {copy_id}")
    return row


def _head_revision(conn: Connection, item_id: int) -> tuple[int, bool]:
    row = conn.execute(
        select(t.revisions.c.id, t.revisions.c.tombstone)
        .join(t.items, t.items.c.id == t.revisions.c.item_id)
        .where(t.items.c.id == item_id, t.revisions.c.seq == t.items.c.head_seq)
    ).one()
    return int(row.id), bool(row.tombstone)


def _event(conn: Connection, copy: Any, kind: str, message: str, by: str) -> None:
    conn.execute(
        insert(t.events).values(
            at=utcnow(), site_key=copy.target_site_key, kind=kind, severity="info",
            message=message, data={"copy_id": int(copy.id), "by": by},
        )
    )  # fmt: skip


def _deliver_head(conn: Connection, copy: Any, now: datetime) -> None:
    revision_id, tombstone = _head_revision(conn, int(copy.source_item_id))
    if not tombstone:
        add_delivery(conn, int(copy.id), revision_id, "upsert", copy.payload or {}, now, now)


async def approve(store: Store, copy_id: int, by: str, note: str | None = None) -> CopyInfo:
    """The copy goes out: its source's current revision is queued for delivery."""

    def job(conn: Connection) -> None:
        copy = _copy_for_update(conn, copy_id)
        if copy.state not in ("awaiting_approval", "rejected"):
            raise CopyStateError(f"copy {copy_id} is {copy.state}, not waiting for approval")
        now = utcnow()
        set_state(conn, copy_id, "pending", now, decided_by=by, decided_at=now,
                  decision_note=note)  # fmt: skip
        _deliver_head(conn, copy, now)
        _event(conn, copy, "syndication.approved", f"copy {copy_id} approved by {by}", by)

    await write(store.engine, job)
    return await _one(store, copy_id)


async def reject(store: Store, copy_id: int, by: str, reason: str) -> CopyInfo:
    def job(conn: Connection) -> None:
        copy = _copy_for_update(conn, copy_id)
        if copy.state != "awaiting_approval":
            raise CopyStateError(f"copy {copy_id} is {copy.state}, not waiting for approval")
        now = utcnow()
        set_state(conn, copy_id, "rejected", now, decided_by=by, decided_at=now,
                  decision_note=reason)  # fmt: skip
        _event(conn, copy, "syndication.rejected",
               f"copy {copy_id} rejected by {by}: {reason}", by)  # fmt: skip

    await write(store.engine, job)
    return await _one(store, copy_id)


async def unlink(store: Store, copy_id: int, by: str) -> CopyInfo:
    """The copy stays on its site as it is, and is no longer updated, unpublished or deleted."""

    def job(conn: Connection) -> None:
        copy = _copy_for_update(conn, copy_id)
        if copy.state == "unlinked":
            raise CopyStateError(f"copy {copy_id} is already unlinked")
        now = utcnow()
        supersede(conn, copy_id)
        set_state(conn, copy_id, "unlinked", now, decided_by=by, decided_at=now)
        _event(conn, copy, "syndication.unlinked", f"copy {copy_id} unlinked by {by}", by)

    await write(store.engine, job)
    return await _one(store, copy_id)


async def relink(store: Store, copy_id: int, by: str) -> CopyInfo:
    """Follow the origin again (also after a divergence): the current revision is delivered,
    overwriting what the copy holds now."""

    def job(conn: Connection) -> None:
        copy = _copy_for_update(conn, copy_id)
        if copy.state not in ("unlinked", "diverged"):
            raise CopyStateError(f"copy {copy_id} is {copy.state}: only an unlinked or "
                                 "diverged copy can be relinked")  # fmt: skip
        now = utcnow()
        state = "active" if copy.remote_ref else "pending"
        set_state(conn, copy_id, state, now, decided_by=by, decided_at=now, baseline_sha=None)
        _deliver_head(conn, copy, now)
        _event(conn, copy, "syndication.relinked", f"copy {copy_id} relinked by {by}", by)

    await write(store.engine, job)
    return await _one(store, copy_id)


async def _one(store: Store, copy_id: int) -> CopyInfo:
    async with store.engine.connect() as conn:
        row = (await conn.execute(_copies_query().where(t.copies.c.id == copy_id))).first()
    if row is None:
        raise NotFound(f"no copy {copy_id}")
    return _info(row)


async def retry_dead(store: Store, delivery_id: int | None, by: str) -> int:
    """Put dead deliveries (one, or all when `delivery_id` is None) back in the queue with
    their attempts reset, after a person fixed what stopped them; returns how many."""

    def job(conn: Connection) -> int:
        d = t.deliveries
        query = select(d.c.id, d.c.copy_id).where(d.c.state == "dead")
        if delivery_id is not None:
            query = query.where(d.c.id == delivery_id)
        rows = conn.execute(query).all()
        if delivery_id is not None and not rows:
            raise NotFound(f"no dead delivery {delivery_id}")
        now = utcnow()
        for row in rows:
            # a newer delivery for the same copy supersedes this one: retry only the newest
            newer = conn.execute(
                select(d.c.id).where(d.c.copy_id == row.copy_id, d.c.id > row.id).limit(1)
            ).first()
            state = "superseded" if newer is not None else "pending"
            conn.execute(
                d.update().where(d.c.id == row.id).values(
                    state=state, attempts=0, not_before=now, done_at=None, lease_owner=None,
                    lease_until=None,
                )
            )  # fmt: skip
        conn.execute(
            insert(t.events).values(
                at=now, kind="syndication.retried", severity="info",
                message=f"{len(rows)} dead deliveries put back in the queue by {by}",
                data={"by": by, "delivery": delivery_id},
            )
        )  # fmt: skip
        return len(rows)

    return await write(store.engine, job)
