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

# --- Syndication -----------------------------------------------------------------------------
# One row per (origin, target site): the copy, from the moment a route decides it exists,
# through approval, delivery and its life on the target. `origin` is the origin marker's id
# ("site:source_key" of the first item), the same for every copy whatever route brought it, so
# an item that reaches a site by two routes is one copy. `source_item_id` is the item whose
# revisions feed the copy. `remote_ref` is the target's own id of the post once reserved;
# `baseline_sha` the mirrored revision of the copy as it stood after our last delivery, so a
# hand edit on the target (a later mirrored revision that differs) is told apart from ours.
copies = Table(
    "copies",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("origin", Text, nullable=False),
    Column("source_item_id", Id, ForeignKey("items.id"), nullable=False),
    Column("target_site_key", String(64), nullable=False),
    Column("route_key", String(64), nullable=False),
    # awaiting_approval, rejected, pending, active, unpublished, deleted, diverged, unlinked
    Column("state", String(24), nullable=False),
    Column("path", JSON, nullable=False),
    # the route's last decision for this copy (categories, publish_as, ...), for approvals
    Column("payload", JSON, nullable=False),
    Column("remote_ref", Text),
    Column("remote_url", Text),
    # set just before a placeholder is created on the target, cleared once its id is recorded:
    # a copy with this set and no remote_ref may or may not exist there (a crash in between)
    Column("reserving_since", UtcTime),
    Column("copy_item_id", Id, ForeignKey("items.id")),
    Column("baseline_sha", String(64)),
    Column("decided_by", Text),
    Column("decided_at", UtcTime),
    Column("decision_note", Text),
    Column("created_at", UtcTime, nullable=False),
    Column("updated_at", UtcTime, nullable=False),
    UniqueConstraint("origin", "target_site_key", name="uq_copies_origin_target"),
)

# The outbox: each row is one thing to do to one copy, written in the same transaction as the
# revision that caused it, and done by the delivery worker with retries until done or dead.
deliveries = Table(
    "deliveries",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("copy_id", Id, ForeignKey("copies.id"), nullable=False),
    Column("revision_id", Id, ForeignKey("revisions.id")),
    Column("action", String(16), nullable=False),  # upsert, unpublish, delete
    Column("state", String(16), nullable=False),  # pending, done, dead, superseded
    # what the route decided for this delivery: categories, publish_as, path, attribution
    Column("payload", JSON, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("not_before", UtcTime, nullable=False),
    Column("last_error", Text),
    Column("lease_owner", String(128)),
    Column("lease_until", UtcTime),
    Column("created_at", UtcTime, nullable=False),
    Column("done_at", UtcTime),
)

Index("ix_deliveries_due", deliveries.c.state, deliveries.c.not_before)
Index("ix_copies_copy_item", copies.c.copy_item_id)
Index("ix_copies_source_item", copies.c.source_item_id)
Index("ix_deliveries_copy", deliveries.c.copy_id)
