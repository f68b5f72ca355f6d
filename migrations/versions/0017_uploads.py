"""Uploads: who uploaded which image (the files are content-addressed, finboard.core.media).

- ``uploads (user_id, sha256)`` is unique: one member uploading one picture twice is one
  row (the upload inserts with ON CONFLICT DO NOTHING, so a double submit adds nothing);
- ``ix_uploads_user_created`` serves the hourly upload allowance (one indexed count);
- ``ix_uploads_sha256`` serves a moderator deleting an image (every row naming it).

Revision ID: 0017
Revises: 0012
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

from finboard.core.models import UTCDateTime

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "uploads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_uploads_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_uploads")),
    )
    op.create_index("uq_uploads_user_sha256", "uploads", ["user_id", "sha256"], unique=True)
    op.create_index("ix_uploads_user_created", "uploads", ["user_id", "created_at"])
    op.create_index("ix_uploads_sha256", "uploads", ["sha256"])


def downgrade() -> None:
    op.drop_index("ix_uploads_sha256", table_name="uploads")
    op.drop_index("ix_uploads_user_created", table_name="uploads")
    op.drop_index("uq_uploads_user_sha256", table_name="uploads")
    op.drop_table("uploads")
