"""The versioned store: record revisions, tombstones and events; read history back.

Order of writes is what keeps a crash harmless: a revision's media blobs are made durable
first (put_blob), then the revision's document (in `documents`), its blob row, the revision
row and the item's head are written in one transaction. A crash in between leaves at worst
an unreferenced media blob, never a revision pointing at nothing, and never a document
without its revision: the document commits with it or not at all.

On SQLite, write transactions go through `write`, which groups the ones that arrive together
into one commit (see WriteBatcher); every caller still returns only after its commit.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import URL, ColumnElement, Connection, event, func, insert, or_, select, update
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.ext.asyncio import AsyncEngine

from connectors.urls import dnn_key, normalize_key
from syncd.errors import NotFound
from syncd.store import schema as t
from syncd.store import statements as sql
from syncd.store.blobs import BlobStore, blob_id
from syncd.store.canonical import canonical_bytes, load_document

# the same pragmas (WAL, synchronous=FULL, ...) on the writer thread's connection
from syncd.store.db import _sqlite_pragmas as sqlite_pragmas
from syncd.store.documents import INSERT_DOCUMENT, StoreBlobs, compress_document

T = TypeVar("T")
Job = Callable[[Connection], Any]

_BATCH = 128  # jobs per transaction: bounds how long one commit holds SQLite's write lock


def _settle(future: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if future.done():  # the caller gave up waiting; its work may still have been committed
        return
    if ok:
        future.set_result(value)
    elif isinstance(value, asyncio.CancelledError):
        future.cancel()
    else:
        future.set_exception(value)


class WriteBatcher:
    """Group commit for one SQLite database, on a writer thread of its own.

    SQLite admits one writer at a time and, at synchronous=FULL, pays an fsync per commit.
    With many sites mirrored at once, each small transaction used to queue on the write lock
    (the busy handler sleeps), pay its own fsync, and cross from the event loop to aiosqlite's
    thread and back for every statement. Here jobs that arrive while a commit is in flight go
    into the next transaction together, run on the writer thread with the plain sqlite3 driver
    (same pragmas), and commit with one fsync; each caller still returns only once the
    transaction holding its work has committed. Jobs run in order, so a job sees the writes of
    the jobs before it. If any job fails, the batch rolls back and each of its jobs runs again
    in a transaction of its own, so only the failing one sees an error: jobs must therefore
    touch nothing but the database.
    """

    def __init__(self, url: URL) -> None:
        self.engine = create_sync_engine(
            url.set(drivername="sqlite"), connect_args={"timeout": 30}, pool_size=1
        )
        event.listen(self.engine, "connect", sqlite_pragmas)
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="syncd-store-writer")
        self._queue: list[tuple[Job, asyncio.Future[Any]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def run(self, job: Job) -> Any:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queue.append((job, future))
        if self._writer is None or self._writer.done():
            # the writer task lives only while there is work, so none outlives its callers
            self._writer = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        while self._queue:
            batch, self._queue = self._queue[:_BATCH], self._queue[_BATCH:]
            try:
                outcomes = await loop.run_in_executor(
                    self._thread, self._commit, [job for job, _ in batch]
                )
            except BaseException as error:
                for _, future in batch + self._queue:
                    _settle(future, False, error)
                self._queue = []
                raise
            for (_, future), (ok, value) in zip(batch, outcomes, strict=True):
                _settle(future, ok, value)

    def _commit(self, jobs: list[Job]) -> list[tuple[bool, Any]]:
        """On the writer thread: all jobs in one transaction, or each alone if one fails."""
        try:
            with self.engine.begin() as conn:
                return [(True, job(conn)) for job in jobs]
        except Exception as error:
            if len(jobs) == 1:
                return [(False, error)]
        outcomes: list[tuple[bool, Any]] = []
        for job in jobs:
            try:
                with self.engine.begin() as conn:
                    outcomes.append((True, job(conn)))
            except Exception as alone:
                outcomes.append((False, alone))
        return outcomes

    def close(self) -> None:
        self._thread.shutdown(wait=True)
        self.engine.dispose()


_batchers: weakref.WeakKeyDictionary[AsyncEngine, WriteBatcher] = weakref.WeakKeyDictionary()


def _is_file_sqlite(engine: AsyncEngine) -> bool:
    # an in-memory database exists once per connection: another driver would see another one
    return engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:")


async def write(engine: AsyncEngine, job: Callable[[Connection], T]) -> T:
    """Run `job` in a write transaction and return its result once committed. On a SQLite file
    the transaction may be shared with concurrent writers (WriteBatcher); PostgreSQL takes
    many writers at once and groups commits itself, so there each job has its own."""
    if not _is_file_sqlite(engine):
        async with engine.begin() as conn:
            return await conn.run_sync(job)
    batcher = _batchers.get(engine)
    if batcher is None:
        batcher = _batchers[engine] = WriteBatcher(engine.url)
    result: T = await batcher.run(job)
    return result


async def close_writes(engine: AsyncEngine) -> None:
    """Stop the engine's writer thread, after the writes already queued."""
    batcher = _batchers.pop(engine, None)
    if batcher is not None:
        await asyncio.to_thread(batcher.close)


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
        """`blobs` holds media and files (and documents of stores older than migration
        0002); `self.blobs` reads those and the documents in the database alike."""
        self.engine = engine
        self.files = blobs  # for writes that must go to files (a restore's bulk writes)
        self.blobs = StoreBlobs(engine, blobs)
        self._site_ids: dict[str, int] = {}

    async def close(self) -> None:
        await self.blobs.close()
        await close_writes(self.engine)
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

        def job(conn: Connection) -> None:
            self._blob_row(conn, sha, len(data), content_type)

        await write(self.engine, job)
        return sha

    @staticmethod
    def _blob_row(conn: Connection, sha: str, size: int, content_type: str | None) -> None:
        # one statement, and no race between two writers of the same blob: the first row stays
        conn.execute(
            sql.INSERT_BLOB,
            {"sha": sha, "size": size, "content_type": content_type, "created_at": utcnow()},
        )

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
        with_record: Callable[[Connection, Recorded], None] | None = None,
    ) -> Recorded:
        """Store `document` as the item's new revision unless it equals the current one.

        `media` are ids of blobs already stored with put_blob that the revision refers to.
        `with_record` runs in the same transaction once the revision (or the finding that
        nothing changed) is written, for rows that must commit together with it; like any
        write job it may touch nothing but the database.
        """
        at = at or utcnow()
        body = canonical_bytes(document)
        sha = blob_id(body)
        site_id = await self.site_id(site_key)
        key = normalize_key(source_key)
        title = document.get("title")

        def job(conn: Connection) -> Recorded:
            recorded = store_revision(conn)
            if with_record is not None:
                with_record(conn, recorded)
            return recorded

        def store_revision(conn: Connection) -> Recorded:
            # Five statements for a new item (six with media), each compiled once per engine:
            # the blob row, the item with its head revision's blob in one read, the document,
            # the item or its update (head included), the revision, and its media in one
            # executemany.
            self._blob_row(conn, sha, len(body), "application/json")
            lookup = (
                sql.ITEM_WITH_HEAD_FOR_UPDATE
                if conn.dialect.name == "postgresql"
                else sql.ITEM_WITH_HEAD
            )
            item = conn.execute(lookup, {"site_id": site_id, "key": key}).first()
            if item is not None and item.content_sha == sha:
                conn.execute(sql.UPDATE_ITEM_SEEN, {"b_id": item.id, "b_at": at, "b_url": url})
                return Recorded(int(item.id), int(item.head_seq), changed=False, content_sha=sha)
            # Compressed here, only for a new revision: most records of a warm pass change
            # nothing. (On the writer thread: compress_document keeps a compressor per thread.)
            conn.execute(INSERT_DOCUMENT, {"sha": sha, "data": compress_document(body)})
            if item is None:
                seq = 1
                result = conn.execute(
                    sql.INSERT_ITEM,
                    {
                        "site_id": site_id, "source_key": key, "url": url, "kind": kind,
                        "created_at": at, "last_seen_at": at, "missing_count": 0,
                        "head_seq": seq, "deleted": False,
                    },
                )  # fmt: skip
                item_id = int(result.inserted_primary_key[0])  # type: ignore[index]
            else:
                item_id, seq = int(item.id), int(item.head_seq) + 1
                conn.execute(
                    sql.UPDATE_ITEM_HEAD, {"b_id": item_id, "b_at": at, "b_url": url, "b_seq": seq}
                )
            result = conn.execute(
                sql.INSERT_REVISION,
                {
                    "item_id": item_id, "seq": seq, "content_sha": sha,
                    "title": title if isinstance(title, str) else None, "tombstone": False,
                    "created_at": at,
                },
            )  # fmt: skip
            revision_id = int(result.inserted_primary_key[0])  # type: ignore[index]
            media_rows = [
                {"revision_id": revision_id, "sha": media_sha, "role": "media"}
                for media_sha in dict.fromkeys(media)
            ]
            if media_rows:
                conn.execute(sql.INSERT_REVISION_BLOB, media_rows)
            return Recorded(item_id, seq, changed=True, content_sha=sha)

        return await write(self.engine, job)

    async def tombstone(
        self,
        site_key: str,
        source_key: str,
        at: datetime | None = None,
        *,
        with_record: Callable[[Connection, Recorded], None] | None = None,
    ) -> Recorded:
        """Mark the item deleted with a tombstone revision; the history stays. `with_record`
        runs in the same transaction, as for `record`."""
        at = at or utcnow()
        site_id = await self.site_id(site_key)

        def job(conn: Connection) -> Recorded:
            recorded = store_tombstone(conn)
            if with_record is not None:
                with_record(conn, recorded)
            return recorded

        def store_tombstone(conn: Connection) -> Recorded:
            item = self._item_for_update(conn, site_id, normalize_key(source_key))
            if item is None:
                raise NotFound(f"no item {source_key!r} on site {site_key!r}")
            if item.deleted:
                return Recorded(int(item.id), int(item.head_seq), changed=False)
            seq = int(item.head_seq) + 1
            conn.execute(
                insert(t.revisions).values(
                    item_id=item.id,
                    seq=seq,
                    content_sha=None,
                    title=None,
                    tombstone=True,
                    created_at=at,
                )
            )
            conn.execute(
                update(t.items).where(t.items.c.id == item.id).values(head_seq=seq, deleted=True)
            )
            return Recorded(int(item.id), seq, changed=True)

        return await write(self.engine, job)

    def _item_for_update(self, conn: Connection, site_id: int, key: str) -> Any:
        query = select(t.items).where(t.items.c.site_id == site_id, t.items.c.source_key == key)
        if conn.dialect.name == "postgresql":
            query = query.with_for_update()
        return conn.execute(query).first()

    @staticmethod
    def _head_sha(conn: Connection, item_id: int, seq: int) -> str | None:
        if seq == 0:
            return None
        row = conn.execute(
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
        row = {
            "at": utcnow(), "site_key": site_key, "kind": kind, "severity": severity,
            "message": message, "data": dict(data) if data else None,
        }  # fmt: skip

        def job(conn: Connection) -> None:
            conn.execute(insert(t.events).values(**row))

        await write(self.engine, job)

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
            if int(ref) >= 2**63:  # past any id a database column holds
                raise NotFound(f"no item {ref!r}")
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
