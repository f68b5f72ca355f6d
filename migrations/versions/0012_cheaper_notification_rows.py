"""Notification rows that cost less to insert: no per-row checks of the actor and the post.

Measured (docs/benchmarks/2026-12-07-fanout-1m): the four foreign keys of a notification
were checked once per inserted row, about half of the fan-out's time, and two of them check
the same row for every notification of an event:

- ``actor_id`` → users: dropped. The actor is always the author of the notification's post
  or comment (finboard.rawsql.fanout), and posts and comments already cascade from their
  author, so deleting an account still deletes the notifications it caused.
- ``post_id`` → posts: replaced by ``notifications_post_gone``, a statement-level trigger
  that deletes a deleted post's notifications (what ``ON DELETE CASCADE`` did). The fan-out
  takes ``FOR KEY SHARE`` on the event's row once per job, so a post cannot be deleted
  between the job's check and its commit.
- ``user_id`` (the recipient, a different member on every row) and ``comment_id`` (NULL for
  a post's audiences) keep their foreign keys.

PostgreSQL only: SQLite checks foreign keys cheaply and would have to rebuild the table
(losing its expression index on the way); its cascades stay as they were.

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-07
"""

from alembic import op

revision = "0012"
down_revision = "0010"
branch_labels = None
depends_on = None

CREATE_TRIGGER = """
CREATE FUNCTION notifications_post_gone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM notifications n USING gone_posts g WHERE n.post_id = g.id;
    RETURN NULL;
END $$;
CREATE TRIGGER notifications_post_gone AFTER DELETE ON posts
    REFERENCING OLD TABLE AS gone_posts FOR EACH STATEMENT EXECUTE FUNCTION notifications_post_gone();
"""

DROP_TRIGGER = """
DROP TRIGGER IF EXISTS notifications_post_gone ON posts;
DROP FUNCTION IF EXISTS notifications_post_gone();
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_constraint("fk_notifications_actor_id_users", "notifications", type_="foreignkey")
    op.drop_constraint("fk_notifications_post_id_posts", "notifications", type_="foreignkey")
    op.execute(CREATE_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(DROP_TRIGGER)
    op.create_foreign_key(
        "fk_notifications_post_id_posts", "notifications", "posts", ["post_id"], ["id"], ondelete="CASCADE"
    )
    op.create_foreign_key(
        "fk_notifications_actor_id_users", "notifications", "users", ["actor_id"], ["id"], ondelete="CASCADE"
    )
