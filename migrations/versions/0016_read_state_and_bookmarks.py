"""Read state and bookmarks: what a member has seen of a post, and the posts they saved.

- ``post_reads (user_id, post_id)``: ``last_read_comment_id``, the highest comment id the
  member had seen when they last opened the post (0: none yet), and ``read_at``. A post's
  new comments for the member are its visible comments above that id, by someone else.
  ``ix_post_reads_post_id`` serves the cascade when a post is deleted.
- ``bookmarks (user_id, post_id)``: the key makes a bookmark idempotent (two clicks, one
  row); ``ix_bookmarks_user_created (user_id, created_at, post_id)`` serves ``/bookmarks``,
  newest first, by keyset.

Revision ID: 0016
Revises: 0012
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

from finboard.core.models import UTCDateTime

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "post_reads",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("last_read_comment_id", sa.Integer(), server_default="0", nullable=False),
        sa.Column("read_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_post_reads_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name=op.f("fk_post_reads_post_id_posts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "post_id", name=op.f("pk_post_reads")),
    )
    op.create_index(op.f("ix_post_reads_post_id"), "post_reads", ["post_id"])
    op.create_table(
        "bookmarks",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_bookmarks_user_id_users"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["post_id"], ["posts.id"], name=op.f("fk_bookmarks_post_id_posts"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "post_id", name=op.f("pk_bookmarks")),
    )
    op.create_index(op.f("ix_bookmarks_post_id"), "bookmarks", ["post_id"])
    op.create_index("ix_bookmarks_user_created", "bookmarks", ["user_id", "created_at", "post_id"])


def downgrade() -> None:
    op.drop_index("ix_bookmarks_user_created", table_name="bookmarks")
    op.drop_index(op.f("ix_bookmarks_post_id"), table_name="bookmarks")
    op.drop_table("bookmarks")
    op.drop_index(op.f("ix_post_reads_post_id"), table_name="post_reads")
    op.drop_table("post_reads")
