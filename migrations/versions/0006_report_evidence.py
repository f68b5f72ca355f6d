"""Reports outlive what they report, with a snapshot of it.

- ``reports.post_id`` / ``reports.comment_id`` become nullable with ON DELETE
  SET NULL (they were NOT NULL / CASCADE): deleting a post or comment no longer
  erases the reports about it, which are the moderation evidence.
- ``reports.target_type`` ('post' or 'comment'), ``title``, ``content`` and
  ``target_author_id``: what was reported, copied at report time, so the queue
  still shows it after an edit or a delete. Existing reports are filled from
  the rows they point at.

On SQLite a foreign key changes only by rebuilding the table (batch mode):
``reports`` has no triggers, so the rebuild loses nothing.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

POST_FK = "fk_reports_post_id_posts"
COMMENT_FK = "fk_reports_comment_id_comments"
AUTHOR_FK = "fk_reports_target_author_id_users"

BACKFILL = """
UPDATE reports SET
    target_type = CASE WHEN comment_id IS NULL THEN 'post' ELSE 'comment' END,
    title = COALESCE((SELECT p.title FROM posts p WHERE p.id = reports.post_id), ''),
    content = COALESCE(
        (SELECT c.body FROM comments c WHERE c.id = reports.comment_id),
        (SELECT p.body FROM posts p WHERE p.id = reports.post_id),
        ''),
    target_author_id = COALESCE(
        (SELECT c.author_id FROM comments c WHERE c.id = reports.comment_id),
        (SELECT p.author_id FROM posts p WHERE p.id = reports.post_id))
"""


def _columns() -> list[sa.Column]:
    return [
        sa.Column("target_type", sa.String(8), nullable=False, server_default="post"),
        sa.Column("title", sa.String(200), nullable=False, server_default=""),
        sa.Column("content", sa.Text(), nullable=False, server_default=""),
        sa.Column("target_author_id", sa.Integer(), nullable=True),
    ]


def upgrade():
    with op.batch_alter_table("reports", recreate="auto") as batch:
        batch.drop_constraint(POST_FK, type_="foreignkey")
        batch.drop_constraint(COMMENT_FK, type_="foreignkey")
        batch.alter_column("post_id", existing_type=sa.Integer(), nullable=True)
        for column in _columns():
            batch.add_column(column)
        batch.create_foreign_key(POST_FK, "posts", ["post_id"], ["id"], ondelete="SET NULL")
        batch.create_foreign_key(COMMENT_FK, "comments", ["comment_id"], ["id"], ondelete="SET NULL")
        batch.create_foreign_key(AUTHOR_FK, "users", ["target_author_id"], ["id"], ondelete="SET NULL")
    op.execute(BACKFILL)


def downgrade():
    op.execute("DELETE FROM reports WHERE post_id IS NULL")
    with op.batch_alter_table("reports", recreate="auto") as batch:
        batch.drop_constraint(AUTHOR_FK, type_="foreignkey")
        batch.drop_constraint(POST_FK, type_="foreignkey")
        batch.drop_constraint(COMMENT_FK, type_="foreignkey")
        for column in reversed(_columns()):
            batch.drop_column(column.name)
        batch.alter_column("post_id", existing_type=sa.Integer(), nullable=False)
        batch.create_foreign_key(POST_FK, "posts", ["post_id"], ["id"], ondelete="CASCADE")
        batch.create_foreign_key(COMMENT_FK, "comments", ["comment_id"], ["id"], ondelete="CASCADE")
