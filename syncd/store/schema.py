"""The store's tables. Revisions are append-only; nothing here is ever updated in place
except bookkeeping columns (last seen, missing counts, fetch state)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

Id = BigInteger().with_variant(Integer(), "sqlite")  # SQLite autoincrement needs INTEGER
UtcTime = DateTime(timezone=True)

units = Table(
    "units",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("name", Text, nullable=False),
    Column("level", String(64), nullable=False),
    Column("parent_key", String(64)),
    Column("dissolved", Boolean, nullable=False, default=False),
    Column("successor_key", String(64)),
    Column("updated_at", UtcTime, nullable=False),
)

sites = Table(
    "sites",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("key", String(64), nullable=False, unique=True),
    Column("unit_key", String(64), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("base_url", Text, nullable=False),
    Column("created_at", UtcTime, nullable=False),
    Column("failures", Integer, nullable=False, default=0),
    Column("last_attempt_at", UtcTime),
    Column("last_success_at", UtcTime),
    Column("last_error", Text),
    Column("next_due_at", UtcTime),
    Column("degraded", Boolean, nullable=False, default=False),
    # adaptive polling: the interval in force and how many passes in a row found nothing new
    Column("interval_seconds", Integer),
    Column("idle_passes", Integer, nullable=False, default=0),
    # several daemons on one PostgreSQL share sites by leasing them
    Column("lease_owner", String(128)),
    Column("lease_until", UtcTime),
)

items = Table(
    "items",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("site_id", Id, ForeignKey("sites.id"), nullable=False),
    Column("source_key", Text, nullable=False),
    Column("url", Text, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("created_at", UtcTime, nullable=False),
    Column("last_seen_at", UtcTime),
    Column("missing_count", Integer, nullable=False, default=0),
    Column("head_seq", Integer, nullable=False, default=0),
    Column("deleted", Boolean, nullable=False, default=False),
    UniqueConstraint("site_id", "source_key", name="uq_items_site_source"),
)

revisions = Table(
    "revisions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("item_id", Id, ForeignKey("items.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    # sha256 of the canonical document, which is also its blob's id; NULL for a tombstone
    Column("content_sha", String(64)),
    Column("title", Text),
    Column("tombstone", Boolean, nullable=False, default=False),
    Column("created_at", UtcTime, nullable=False),
    UniqueConstraint("item_id", "seq", name="uq_revisions_item_seq"),
)

blobs = Table(
    "blobs",
    metadata,
    Column("sha", String(64), primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("content_type", String(128)),
    Column("created_at", UtcTime, nullable=False),
)

# A revision's document, zstd-compressed like a blob file, written in the revision's own
# transaction instead of a file (see syncd/store/documents.py); its row in `blobs` stays.
# Backups leave this table out: its content goes into the snapshot as blobs.
documents = Table(
    "documents",
    metadata,
    Column("sha", String(64), primary_key=True),
    Column("data", LargeBinary, nullable=False),
)

revision_blobs = Table(
    "revision_blobs",
    metadata,
    Column("revision_id", Id, ForeignKey("revisions.id"), primary_key=True),
    Column("sha", String(64), ForeignKey("blobs.sha"), primary_key=True),
    Column("role", String(16), nullable=False),
)

fetch_state = Table(
    "fetch_state",
    metadata,
    Column("site_id", Id, ForeignKey("sites.id"), primary_key=True),
    Column("url", Text, primary_key=True),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("last_status", Integer),
    # the blob the validators belong to, so a 304 can always be answered from the store
    Column("sha", String(64)),
    Column("updated_at", UtcTime, nullable=False),
)

events = Table(
    "events",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("at", UtcTime, nullable=False),
    Column("site_key", String(64)),
    Column("kind", String(64), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("message", Text, nullable=False),
    Column("data", JSON),
)

# Facts about the store itself, one row each: "store_id" names this store to the backup
# repositories it writes to (made at first need; a restore carries the backed-up one over).
store_meta = Table(
    "store_meta",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

Index("ix_events_at", events.c.at)
Index("ix_revisions_created", revisions.c.created_at)
Index("ix_revision_blobs_sha", revision_blobs.c.sha)
