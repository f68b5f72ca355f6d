"""Reactions on posts and comments; the hot score and the indexes of hot and top listings.

- ``post_reactions`` / ``comment_reactions``: one row per (item, member): the primary key
  makes "one reaction per member per item" a fact of the database, so two identical
  requests at once insert one row (the writers use ``ON CONFLICT``). ``kind`` is one of
  ``finboard.contract.reactions.REACTION_KINDS``. ``created_at`` is indexed for the trending
  window; ``user_id`` for the cascade when an account goes.
- ``posts.reaction_count`` / ``comments.reaction_count``: kept by triggers on the reaction
  tables in the writer's transaction, whichever backend writes (as migration 0002's counters).
- ``posts.hot_score``: ``finboard.contract.reactions.hot_score``, recomputed by a trigger
  whenever a post is inserted or its reaction count, comment count (or creation time) changes; ``ix_posts_hot``
  (hot_score, id) makes the hot listing a read off the top of an index.
- ``ix_posts_reaction_count_created`` (reaction_count, created_at, id): "top of all time".

SQLite needs its math functions (``log10``, ``floor``: SQLite ≥ 3.35 built with them, as
Debian's and Python's own builds are).

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

from finboard.contract.reactions import REACTION_KINDS, hot_score_sql
from finboard.core.models import UTCDateTime

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

KIND_CHECK = "kind IN (" + ", ".join(f"'{kind}'" for kind in REACTION_KINDS) + ")"


def _pg_functions() -> str:
    hot = hot_score_sql("postgresql", "NEW.reaction_count", "NEW.comment_count", "NEW.created_at")
    return f"""
CREATE FUNCTION finboard_posts_hot() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.hot_score := {hot};
    RETURN NEW;
END $$;
CREATE TRIGGER posts_hot BEFORE INSERT OR UPDATE OF reaction_count, comment_count, created_at ON posts
    FOR EACH ROW EXECUTE FUNCTION finboard_posts_hot();

CREATE FUNCTION finboard_post_reactions_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE posts SET reaction_count = reaction_count + 1 WHERE id = NEW.post_id;
    ELSE
        UPDATE posts SET reaction_count = reaction_count - 1 WHERE id = OLD.post_id;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER post_reactions_count AFTER INSERT OR DELETE ON post_reactions
    FOR EACH ROW EXECUTE FUNCTION finboard_post_reactions_count();

CREATE FUNCTION finboard_comment_reactions_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE comments SET reaction_count = reaction_count + 1 WHERE id = NEW.comment_id;
    ELSE
        UPDATE comments SET reaction_count = reaction_count - 1 WHERE id = OLD.comment_id;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER comment_reactions_count AFTER INSERT OR DELETE ON comment_reactions
    FOR EACH ROW EXECUTE FUNCTION finboard_comment_reactions_count();
"""


PG_DROP = """
DROP TRIGGER IF EXISTS posts_hot ON posts;
DROP FUNCTION IF EXISTS finboard_posts_hot();
DROP TRIGGER IF EXISTS post_reactions_count ON post_reactions;
DROP FUNCTION IF EXISTS finboard_post_reactions_count();
DROP TRIGGER IF EXISTS comment_reactions_count ON comment_reactions;
DROP FUNCTION IF EXISTS finboard_comment_reactions_count();
"""


def _sqlite_triggers() -> dict[str, str]:
    def hot(row: str) -> str:
        return hot_score_sql("sqlite", f"{row}.reaction_count", f"{row}.comment_count", f"{row}.created_at")

    return {
        "posts_hot_insert": f"AFTER INSERT ON posts BEGIN UPDATE posts SET hot_score = {hot('NEW')} "
        "WHERE id = NEW.id; END",
        "posts_hot_update": "AFTER UPDATE OF reaction_count, comment_count, created_at ON posts "
        f"BEGIN UPDATE posts SET hot_score = {hot('NEW')} WHERE id = NEW.id; END",
        "post_reactions_count_insert": "AFTER INSERT ON post_reactions BEGIN "
        "UPDATE posts SET reaction_count = reaction_count + 1 WHERE id = NEW.post_id; END",
        "post_reactions_count_delete": "AFTER DELETE ON post_reactions BEGIN "
        "UPDATE posts SET reaction_count = reaction_count - 1 WHERE id = OLD.post_id; END",
        "comment_reactions_count_insert": "AFTER INSERT ON comment_reactions BEGIN "
        "UPDATE comments SET reaction_count = reaction_count + 1 WHERE id = NEW.comment_id; END",
        "comment_reactions_count_delete": "AFTER DELETE ON comment_reactions BEGIN "
        "UPDATE comments SET reaction_count = reaction_count - 1 WHERE id = OLD.comment_id; END",
    }


def _reaction_table(name: str, item: str, items: str) -> None:
    op.create_table(
        name,
        sa.Column(item, sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(KIND_CHECK, name=op.f(f"ck_{name}_kind_valid")),
        sa.ForeignKeyConstraint([item], [f"{items}.id"], name=op.f(f"fk_{name}_{item}_{items}"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f(f"fk_{name}_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint(item, "user_id", name=op.f(f"pk_{name}")),
    )
    op.create_index(op.f(f"ix_{name}_user_id"), name, ["user_id"])
    op.create_index(op.f(f"ix_{name}_created_at"), name, ["created_at"])


def upgrade() -> None:
    op.add_column("posts", sa.Column("reaction_count", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("posts", sa.Column("hot_score", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("comments", sa.Column("reaction_count", sa.Integer(), nullable=False, server_default="0"))
    _reaction_table("post_reactions", "post_id", "posts")
    _reaction_table("comment_reactions", "comment_id", "comments")
    dialect = op.get_bind().dialect.name
    op.execute(
        f"UPDATE posts SET hot_score = {hot_score_sql(dialect, 'reaction_count', 'comment_count', 'created_at')}"
    )
    op.create_index("ix_posts_hot", "posts", ["hot_score", "created_at", "id"])
    op.create_index("ix_posts_reaction_count_created", "posts", ["reaction_count", "created_at", "id"])
    if dialect == "postgresql":
        op.execute(_pg_functions())
    else:
        for name, body in _sqlite_triggers().items():
            op.execute(f"CREATE TRIGGER {name} {body}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_DROP)
    else:
        for name in _sqlite_triggers():
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_index("ix_posts_reaction_count_created", table_name="posts")
    op.drop_index("ix_posts_hot", table_name="posts")
    for name in ("comment_reactions", "post_reactions"):
        op.drop_index(op.f(f"ix_{name}_created_at"), table_name=name)
        op.drop_index(op.f(f"ix_{name}_user_id"), table_name=name)
        op.drop_table(name)
    with op.batch_alter_table("comments") as batch:
        batch.drop_column("reaction_count")
    with op.batch_alter_table("posts") as batch:
        batch.drop_column("hot_score")
        batch.drop_column("reaction_count")
