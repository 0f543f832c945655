"""Which revision of each item a site had at a moment, and streaming their documents.

One query picks, for every item of the site, its newest revision created at or before the
cut-off; tombstones and items that did not exist yet drop out. Only that small list of rows
is held at once; documents and media types are read a batch at a time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, and_, func, select

from syncd.errors import NotFound
from syncd.store import schema as t
from syncd.store.canonical import load_document
from syncd.store.store import Store, as_utc


@dataclass(frozen=True)
class SiteInfo:
    id: int
    key: str
    base_url: str
    name: str  # the unit's display name, or the key when the unit is unknown


@dataclass(frozen=True)
class SelectedRevision:
    item_id: int
    source_key: str
    url: str
    kind: str
    seq: int
    content_sha: str
    title: str | None
    created_at: datetime


@dataclass(frozen=True)
class ExportItem:
    """One selected revision with its document and the content type of each media blob."""

    revision: SelectedRevision
    document: dict[str, Any]
    media_types: dict[str, str | None]


async def site_info(store: Store, key: str) -> SiteInfo:
    query = (
        select(t.sites.c.id, t.sites.c.key, t.sites.c.base_url, t.units.c.name)
        .select_from(t.sites)
        .outerjoin(t.units, t.units.c.key == t.sites.c.unit_key)
        .where(t.sites.c.key == key)
    )
    async with store.engine.connect() as conn:
        row = (await conn.execute(query)).first()
    if row is None:
        raise NotFound(f"no site {key!r} in the store")
    return SiteInfo(int(row.id), row.key, row.base_url, row.name or row.key)


def revisions_as_of(site_id: int, as_of: datetime) -> Select[Any]:
    """The query: newest revision per item by seq among those created by `as_of`.

    seq, not created_at, orders an item's revisions: it is strictly increasing, so two
    revisions recorded in the same instant still have one newest."""
    r = t.revisions
    latest = (
        select(r.c.item_id, func.max(r.c.seq).label("seq"))
        .join(t.items, t.items.c.id == r.c.item_id)
        .where(t.items.c.site_id == site_id, r.c.created_at <= as_of)
        .group_by(r.c.item_id)
        .subquery("latest")
    )
    return (
        select(
            t.items.c.id,
            t.items.c.source_key,
            t.items.c.url,
            t.items.c.kind,
            r.c.seq,
            r.c.content_sha,
            r.c.title,
            r.c.created_at,
        )
        .select_from(t.items)
        .join(latest, latest.c.item_id == t.items.c.id)
        .join(r, and_(r.c.item_id == latest.c.item_id, r.c.seq == latest.c.seq))
        .where(r.c.tombstone.is_(False), r.c.content_sha.is_not(None))
        .order_by(t.items.c.id)
    )


async def select_revisions(store: Store, site_id: int, as_of: datetime) -> list[SelectedRevision]:
    query = revisions_as_of(site_id, as_of.astimezone(UTC))
    async with store.engine.connect() as conn:
        result = await conn.stream(query)
        return [
            SelectedRevision(
                int(row.id),
                row.source_key,
                row.url,
                row.kind,
                int(row.seq),
                row.content_sha,
                row.title,
                as_utc(row.created_at) or as_of,
            )
            async for row in result
        ]


async def _content_types(store: Store, shas: set[str]) -> dict[str, str | None]:
    if not shas:
        return {}
    query = select(t.blobs.c.sha, t.blobs.c.content_type).where(t.blobs.c.sha.in_(sorted(shas)))
    async with store.engine.connect() as conn:
        return {row.sha: row.content_type for row in await conn.execute(query)}


async def iter_items(
    store: Store, revisions: Sequence[SelectedRevision], batch: int = 100
) -> AsyncIterator[ExportItem]:
    """Documents in the order of `revisions`, `batch` at a time, with their media types."""
    for start in range(0, len(revisions), batch):
        chunk = revisions[start : start + batch]
        stored = await store.blobs.get_many([r.content_sha for r in chunk])
        documents = [load_document(stored[r.content_sha]) for r in chunk]
        shas = {
            m["sha"]
            for doc in documents
            for m in doc.get("media") or []
            if isinstance(m, dict) and isinstance(m.get("sha"), str)
        }
        types = await _content_types(store, shas)
        for revision, document in zip(chunk, documents, strict=True):
            own = {
                m["sha"]: types.get(m["sha"])
                for m in document.get("media") or []
                if isinstance(m, dict) and isinstance(m.get("sha"), str)
            }
            yield ExportItem(revision, document, own)
