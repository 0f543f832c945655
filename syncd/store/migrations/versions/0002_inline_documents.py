"""revision documents in the database

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 10:00:00.000000

Documents recorded before this migration stay blob files and are read from there.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "documents",
        sa.Column("sha", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("sha", name=op.f("pk_documents")),
    )


def downgrade() -> None:
    # Dropping the table would lose every document recorded since: refuse unless it is empty.
    held = op.get_bind().execute(sa.text("SELECT count(*) FROM documents")).scalar_one()
    if held:
        raise RuntimeError(
            f"documents holds {held} revision documents; export them as blob files first"
        )
    op.drop_table("documents")
