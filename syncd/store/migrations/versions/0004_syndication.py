"""syndication: copies and the outbox of deliveries

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_Time = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "copies",
        sa.Column("id", _Id, autoincrement=True, nullable=False),
        sa.Column("origin", sa.Text(), nullable=False),
        sa.Column("source_item_id", _Id, nullable=False),
        sa.Column("target_site_key", sa.String(length=64), nullable=False),
        sa.Column("route_key", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("path", sa.JSON(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("remote_ref", sa.Text(), nullable=True),
        sa.Column("remote_url", sa.Text(), nullable=True),
        sa.Column("reserving_since", _Time, nullable=True),
        sa.Column("copy_item_id", _Id, nullable=True),
        sa.Column("baseline_sha", sa.String(length=64), nullable=True),
        sa.Column("decided_by", sa.Text(), nullable=True),
        sa.Column("decided_at", _Time, nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("created_at", _Time, nullable=False),
        sa.Column("updated_at", _Time, nullable=False),
        sa.ForeignKeyConstraint(
            ["source_item_id"], ["items.id"], name=op.f("fk_copies_source_item_id_items")
        ),
        sa.ForeignKeyConstraint(
            ["copy_item_id"], ["items.id"], name=op.f("fk_copies_copy_item_id_items")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_copies")),
        sa.UniqueConstraint("origin", "target_site_key", name="uq_copies_origin_target"),
    )
    op.create_index("ix_copies_copy_item", "copies", ["copy_item_id"])
    op.create_index("ix_copies_source_item", "copies", ["source_item_id"])
    op.create_table(
        "deliveries",
        sa.Column("id", _Id, autoincrement=True, nullable=False),
        sa.Column("copy_id", _Id, nullable=False),
        sa.Column("revision_id", _Id, nullable=True),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("not_before", _Time, nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("lease_owner", sa.String(length=128), nullable=True),
        sa.Column("lease_until", _Time, nullable=True),
        sa.Column("created_at", _Time, nullable=False),
        sa.Column("done_at", _Time, nullable=True),
        sa.ForeignKeyConstraint(
            ["copy_id"], ["copies.id"], name=op.f("fk_deliveries_copy_id_copies")
        ),
        sa.ForeignKeyConstraint(
            ["revision_id"], ["revisions.id"], name=op.f("fk_deliveries_revision_id_revisions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
    )
    op.create_index("ix_deliveries_due", "deliveries", ["state", "not_before"])
    op.create_index("ix_deliveries_copy", "deliveries", ["copy_id"])


def downgrade() -> None:
    op.drop_index("ix_deliveries_copy", table_name="deliveries")
    op.drop_index("ix_deliveries_due", table_name="deliveries")
    op.drop_table("deliveries")
    op.drop_index("ix_copies_source_item", table_name="copies")
    op.drop_index("ix_copies_copy_item", table_name="copies")
    op.drop_table("copies")
