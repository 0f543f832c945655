"""store_meta: facts about the store itself (its id for backups)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05 09:00:00.000000

The id row is made at first need, as in a store created whole, so both ways agree.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "store_meta",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_store_meta")),
    )


def downgrade() -> None:
    op.drop_table("store_meta")
