"""The versioned store: record revisions, tombstones and events; read history back.

Order of writes is what keeps a crash harmless: a revision's blobs are made durable first,
then the revision row and the item's head move in one transaction. A crash in between
leaves at worst an unreferenced blob, never a revision pointing at nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from connectors.urls import dnn_key, normalize_key
from syncd.errors import NotFound
from syncd.store import schema as t
from syncd.store.blobs import BlobStore
from syncd.store.canonical import canonical_bytes, load_document


def _names(ref: str) -> ColumnElement[bool]:
    """A key or URL as a user may type it: the normalised key, a DNN page's key (which drops
    the title slug), or the exact URL last seen."""
    keys = {normalize_key(ref), dnn_key(ref)}
    return or_(t.items.c.source_key.in_(keys), t.items.c.url == ref.strip())


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every time in the store is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Recorded:
    item_id: int
    seq: int
    changed: bool  # False when the content equalled the current revision
    content_sha: str | None = None  # the head revision's document blob (None: tombstone)


@dataclass(frozen=True)
class RevisionInfo:
    item_id: int
    seq: int
    content_sha: str | None
    title: str | None
    tombstone: bool
    created_at: datetime


@dataclass(frozen=True)
class ItemInfo:
    id: int
    site_key: str
    source_key: str
    url: str
    kind: str
    head_seq: int
    deleted: bool


@dataclass(frozen=True)
class Media:
    """A file a revision refers to: its bytes are a blob, named by hash."""

    data: bytes
    content_type: str | None = None
    role: str = "media"


class Store:
    def __init__(self, engine: AsyncEngine, blobs: BlobStore) -> None:
        self.engine = engine
        self.blobs = blobs
        self._site_ids: dict[str, int] = {}

    async def close(self) -> None:
        await self.blobs.close()
        await self.engine.dispose()

    # -- network -------------------------------------------------------------------------

    async def ensure_site(self, key: str, unit_key: str, kind: str, base_url: str) -> int:
        async with self.engine.begin() as conn:
            row = (await conn.execute(select(t.sites.c.id).where(t.sites.c.key == key))).first()
            if row is None:
                result = await conn.execute(
                    insert(t.sites).values(
                        key=key,
                        unit_key=unit_key,
                        kind=kind,
                        base_url=base_url,
                        created_at=utcnow(),
                        failures=0,
                        degraded=False,
                    )
                )
                site_id = int(result.inserted_primary_key[0])  # type: ignore[index]
            else:
                site_id = int(row.id)
                await conn.execute(
                    update(t.sites)
                    .where(t.sites.c.id == site_id)
                    .values(unit_key=unit_key, kind=kind, base_url=base_url)
                )
        self._site_ids[key] = site_id
        return site_id

    async def site_id(self, key: str) -> int:
        if key not in self._site_ids:
            async with self.engine.connect() as conn:
                row = (await conn.execute(select(t.sites.c.id).where(t.sites.c.key == key))).first()
            if row is None:
                raise NotFound(f"no site {key!r} in the store")
            self._site_ids[key] = int(row.id)
        return self._site_ids[key]

    # -- writing ---------------------------------------------------------------------------

    async def put_blob(self, data: bytes, content_type: str | None = None) -> str:
        sha = await self.blobs.put(data)
        async with self.engine.begin() as conn:
            known = await conn.execute(select(t.blobs.c.sha).where(t.blobs.c.sha == sha))
            if known.first() is None:
                await conn.execute(
                    insert(t.blobs).values(
                        sha=sha, size=len(data), content_type=content_type, created_at=utcnow()
                    )
                )
        return sha

    async def record(
        self,
        site_key: str,
        source_key: str,
        document: Mapping[str, Any],
        *,
        url: str,
        kind: str = "article",
        media: Sequence[str] = (),
        at: datetime | None = None,
    ) -> Recorded:
        """Store `document` as the item's new revision unless it equals the current one.

        `media` are ids of blobs already stored with put_blob that the revision refers to.
        """
        at = at or utcnow()
        body = canonical_bytes(document)
        sha = await self.put_blob(body, "application/json")
        site_id = await self.site_id(site_key)
        key = normalize_key(source_key)
        title = document.get("title")
        async with self.engine.begin() as conn:
            item = await self._item_for_update(conn, site_id, key)
            if item is None:
                result = await conn.execute(
                    insert(t.items).values(
                        site_id=site_id,
                        source_key=key,
                        url=url,
                        kind=kind,
                        created_at=at,
                        last_seen_at=at,
                        missing_count=0,
                        head_seq=0,
                        deleted=False,
                    )
                )
                item_id, head_seq, head_sha = int(result.inserted_primary_key[0]), 0, None  # type: ignore[index]
            else:
                item_id, head_seq = int(item.id), int(item.head_seq)
                head_sha = await self._head_sha(conn, item_id, head_seq)
                await conn.execute(
                    update(t.items)
                    .where(t.items.c.id == item_id)
                    .values(last_seen_at=at, missing_count=0, url=url)
                )
            if head_sha == sha:
                return Recorded(item_id, head_seq, changed=False, content_sha=sha)
            seq = head_seq + 1
            result = await conn.execute(
                insert(t.revisions).values(
                    item_id=item_id,
                    seq=seq,
                    content_sha=sha,
                    title=title if isinstance(title, str) else None,
                    tombstone=False,
                    created_at=at,
                )
            )
            revision_id = int(result.inserted_primary_key[0])  # type: ignore[index]
            for media_sha in dict.fromkeys(media):
                await conn.execute(
                    insert(t.revision_blobs).values(
                        revision_id=revision_id, sha=media_sha, role="media"
                    )
                )
            await conn.execute(
                update(t.items).where(t.items.c.id == item_id).values(head_seq=seq, deleted=False)
            )
        return Recorded(item_id, seq, changed=True, content_sha=sha)

    async def tombstone(
        self, site_key: str, source_key: str, at: datetime | None = None
    ) -> Recorded:
        """Mark the item deleted with a tombstone revision; the history stays."""
        at = at or utcnow()
        site_id = await self.site_id(site_key)
        async with self.engine.begin() as conn:
            item = await self._item_for_update(conn, site_id, normalize_key(source_key))
            if item is None:
                raise NotFound(f"no item {source_key!r} on site {site_key!r}")
            if item.deleted:
                return Recorded(int(item.id), int(item.head_seq), changed=False)
            seq = int(item.head_seq) + 1
            await conn.execute(
                insert(t.revisions).values(
                    item_id=item.id,
                    seq=seq,
                    content_sha=None,
                    title=None,
                    tombstone=True,
                    created_at=at,
                )
            )
            await conn.execute(
                update(t.items).where(t.items.c.id == item.id).values(head_seq=seq, deleted=True)
            )
        return Recorded(int(item.id), seq, changed=True)

    async def _item_for_update(self, conn: AsyncConnection, site_id: int, key: str) -> Any:
        query = select(t.items).where(t.items.c.site_id == site_id, t.items.c.source_key == key)
        if conn.dialect.name == "postgresql":
            query = query.with_for_update()
        return (await conn.execute(query)).first()

    @staticmethod
    async def _head_sha(conn: AsyncConnection, item_id: int, seq: int) -> str | None:
        if seq == 0:
            return None
        row = await conn.execute(
            select(t.revisions.c.content_sha).where(
                t.revisions.c.item_id == item_id, t.revisions.c.seq == seq
            )
        )
        return row.scalar_one_or_none()

    async def log_event(
        self,
        kind: str,
        message: str,
        *,
        site_key: str | None = None,
        severity: str = "info",
        data: Mapping[str, Any] | None = None,
    ) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                insert(t.events).values(
                    at=utcnow(),
                    site_key=site_key,
                    kind=kind,
                    severity=severity,
                    message=message,
                    data=dict(data) if data else None,
                )
            )

    # -- reading ---------------------------------------------------------------------------

    async def find_item(self, ref: str) -> ItemInfo:
        """An item by numeric id, 'SITE:SOURCE_KEY', or a URL/key unique across sites."""
        query = select(
            t.items.c.id,
            t.sites.c.key.label("site_key"),
            t.items.c.source_key,
            t.items.c.url,
            t.items.c.kind,
            t.items.c.head_seq,
            t.items.c.deleted,
        ).join(t.sites, t.sites.c.id == t.items.c.site_id)
        site, sep, rest = ref.partition(":")
        if ref.isdigit():
            query = query.where(t.items.c.id == int(ref))
        elif sep and not rest.startswith("//"):
            query = query.where(t.sites.c.key == site, _names(rest))
        else:
            query = query.where(_names(ref))
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query.limit(2))).all()
        if not rows:
            raise NotFound(f"no item {ref!r}")
        if len(rows) > 1:
            raise NotFound(f"{ref!r} names items on several sites; write SITE:{ref}")
        row = rows[0]
        return ItemInfo(
            int(row.id),
            row.site_key,
            row.source_key,
            row.url,
            row.kind,
            int(row.head_seq),
            bool(row.deleted),
        )

    async def history(self, item_id: int) -> list[RevisionInfo]:
        """Revisions of one item, newest first."""
        async with self.engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(t.revisions)
                    .where(t.revisions.c.item_id == item_id)
                    .order_by(t.revisions.c.seq.desc())
                )
            ).all()
        return [
            RevisionInfo(
                int(r.item_id),
                int(r.seq),
                r.content_sha,
                r.title,
                bool(r.tombstone),
                as_utc(r.created_at) or utcnow(),
            )
            for r in rows
        ]

    async def document(
        self, item_id: int, seq: int | None = None
    ) -> tuple[RevisionInfo, dict[str, Any] | None]:
        """One revision and its document (None for a tombstone); the head when seq is None."""
        revisions = await self.history(item_id)
        if not revisions:
            raise NotFound(f"item {item_id} has no revisions")
        chosen = revisions[0] if seq is None else next((r for r in revisions if r.seq == seq), None)
        if chosen is None:
            raise NotFound(f"item {item_id} has no revision {seq}")
        if chosen.content_sha is None:
            return chosen, None
        return chosen, load_document(await self.blobs.get(chosen.content_sha))

    async def count_revisions(self) -> int:
        async with self.engine.connect() as conn:
            return int(
                (await conn.execute(select(func.count()).select_from(t.revisions))).scalar_one()
            )
