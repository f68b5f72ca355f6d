"""Threaded replies and comment edits: ``comments.parent_id``, ``comments.edit_count``, ``comment_revisions``.

- ``comments.parent_id``: the comment this one replies to (NULL for a top-level comment).
  ``ON DELETE SET NULL``: deleting a comment keeps the replies other members wrote; they
  become top-level comments. The rule that a reply belongs to its parent's post is checked
  by every writer (``finboard.contract.replies``), in the writer's transaction.
- ``comments.edit_count``: how many times the author changed the body (the "edited" marker).
- ``comment_revisions``: a comment's body as it was before each edit, like ``post_revisions``.

``comments`` has triggers (counters, SQLite's search): it is never rebuilt. SQLite adds the
column with its foreign key in one ``ALTER TABLE ... ADD COLUMN ... REFERENCES`` (allowed there
for a column whose default is NULL); PostgreSQL adds a named constraint.

Revision ID: 0015
Revises: 0012
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

from finboard.core.models import UTCDateTime

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

PARENT_FK = "fk_comments_parent_id_comments"


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            f"ALTER TABLE comments ADD COLUMN parent_id INTEGER CONSTRAINT {PARENT_FK} "
            "REFERENCES comments (id) ON DELETE SET NULL"
        )
    else:
        op.add_column("comments", sa.Column("parent_id", sa.Integer(), nullable=True))
        op.create_foreign_key(PARENT_FK, "comments", "comments", ["parent_id"], ["id"], ondelete="SET NULL")
    op.add_column("comments", sa.Column("edit_count", sa.Integer(), nullable=False, server_default="0"))
    op.create_index("ix_comments_parent_id", "comments", ["parent_id"])
    op.create_table(
        "comment_revisions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("comment_id", sa.Integer(), nullable=False),
        sa.Column("editor_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["comment_id"], ["comments.id"], name=op.f("fk_comment_revisions_comment_id_comments"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["editor_id"], ["users.id"], name=op.f("fk_comment_revisions_editor_id_users"), ondelete="CASCADE"
        ),
    )
    op.create_index("ix_comment_revisions_comment_id", "comment_revisions", ["comment_id", "id"])


def downgrade():
    op.drop_index("ix_comment_revisions_comment_id", table_name="comment_revisions")
    op.drop_table("comment_revisions")
    op.drop_index("ix_comments_parent_id", table_name="comments")
    op.drop_column("comments", "edit_count")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(PARENT_FK, "comments", type_="foreignkey")
    op.drop_column("comments", "parent_id")
