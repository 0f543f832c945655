"""Statements of the mirror's hot write paths, built once and reused with parameters.

SQLAlchemy caches a statement's compiled form by its cache key, but a statement rebuilt for
every row still pays for building and keying it, and the dialect-specific upsert constructs
(sqlite's and PostgreSQL's `insert().on_conflict_*`) are not cacheable at all: they were
compiled afresh for every blob and every validator row. The upserts here are plain SQL that
SQLite (3.24+) and PostgreSQL both read the same way, with typed parameters, so they compile
once per engine.
"""

from __future__ import annotations

from sqlalchemy import Integer, String, Text, and_, bindparam, insert, select, text, update

from syncd.store import schema as t

# One row per blob; concurrent writers of the same blob leave the first row in place.
INSERT_BLOB = text(
    "INSERT INTO blobs (sha, size, content_type, created_at) "
    "VALUES (:sha, :size, :content_type, :created_at) ON CONFLICT (sha) DO NOTHING"
).bindparams(
    bindparam("sha", type_=String()),
    bindparam("size", type_=t.blobs.c.size.type),
    bindparam("content_type", type_=String()),
    bindparam("created_at", type_=t.blobs.c.created_at.type),
)

UPSERT_FETCH_STATE = text(
    "INSERT INTO fetch_state (site_id, url, etag, last_modified, sha, updated_at) "
    "VALUES (:site_id, :url, :etag, :last_modified, :sha, :updated_at) "
    "ON CONFLICT (site_id, url) DO UPDATE SET etag = excluded.etag, "
    "last_modified = excluded.last_modified, sha = excluded.sha, "
    "updated_at = excluded.updated_at"
).bindparams(
    bindparam("site_id", type_=Integer()),
    bindparam("url", type_=Text()),
    bindparam("etag", type_=Text()),
    bindparam("last_modified", type_=Text()),
    bindparam("sha", type_=String()),
    bindparam("updated_at", type_=t.fetch_state.c.updated_at.type),
)

# An item with the document blob of its head revision (None for a tombstone or no revision).
ITEM_WITH_HEAD = (
    select(t.items.c.id, t.items.c.head_seq, t.items.c.deleted, t.revisions.c.content_sha)
    .select_from(
        t.items.outerjoin(
            t.revisions,
            and_(t.revisions.c.item_id == t.items.c.id, t.revisions.c.seq == t.items.c.head_seq),
        )
    )
    .where(t.items.c.site_id == bindparam("site_id"), t.items.c.source_key == bindparam("key"))
)
# PostgreSQL: lock the item row (not the revision: FOR UPDATE may not name the nullable side)
ITEM_WITH_HEAD_FOR_UPDATE = ITEM_WITH_HEAD.with_for_update(of=t.items)

INSERT_ITEM = insert(t.items)
INSERT_REVISION = insert(t.revisions)
INSERT_REVISION_BLOB = insert(t.revision_blobs)

# bindparam names may not repeat column names in UPDATE ... SET, hence the b_ prefixes
UPDATE_ITEM_SEEN = (
    update(t.items)
    .where(t.items.c.id == bindparam("b_id"))
    .values(last_seen_at=bindparam("b_at"), missing_count=0, url=bindparam("b_url"))
)
UPDATE_ITEM_HEAD = (
    update(t.items)
    .where(t.items.c.id == bindparam("b_id"))
    .values(
        last_seen_at=bindparam("b_at"),
        missing_count=0,
        url=bindparam("b_url"),
        head_seq=bindparam("b_seq"),
        deleted=False,
    )
)
