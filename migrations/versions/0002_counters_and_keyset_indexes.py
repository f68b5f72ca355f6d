"""Counter tables kept by triggers; indexes for keyset pages by cashtag and by comments.

Why triggers: three backends (SQLAlchemy, Django, hand-written SQL) write the
same tables. A trigger keeps every counter right in the writer's own
transaction whichever of them writes, and no application code can forget it.

- ``category_counters``: posts, comments (the sum of ``posts.comment_count``)
  and distinct authors per category; ``category_authors`` holds posts per
  (category, author) so the distinct count survives deletes and moves.
- ``author_counters``: posts and comments per user.
- ``cashtag_counters``: posts per ticker.
- ``post_cashtags.created_at`` copies the post's creation time, so the newest
  posts on a ticker are one index range scan.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

from finboard.core.counters import rebuild_statements, sqlite_add_post, sqlite_remove_post
from finboard.core.models import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# --- PostgreSQL: one plpgsql function per table --------------------------------

PG_FUNCTIONS = """
CREATE FUNCTION finboard_count_post(cat integer, author integer, comments integer, delta integer)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    remaining integer;
BEGIN
    INSERT INTO category_authors AS ca (category_id, author_id, post_count) VALUES (cat, author, delta)
    ON CONFLICT (category_id, author_id) DO UPDATE SET post_count = ca.post_count + delta
    RETURNING post_count INTO remaining;
    IF remaining = 0 THEN
        DELETE FROM category_authors WHERE category_id = cat AND author_id = author;
    END IF;
    INSERT INTO category_counters AS cc (category_id, post_count, comment_count, author_count)
    VALUES (cat, delta, delta * comments,
            CASE WHEN delta > 0 AND remaining = 1 THEN 1 WHEN delta < 0 AND remaining = 0 THEN -1 ELSE 0 END)
    ON CONFLICT (category_id) DO UPDATE SET
        post_count = cc.post_count + EXCLUDED.post_count,
        comment_count = cc.comment_count + EXCLUDED.comment_count,
        author_count = cc.author_count + EXCLUDED.author_count;
    INSERT INTO author_counters AS ac (author_id, post_count, comment_count) VALUES (author, delta, 0)
    ON CONFLICT (author_id) DO UPDATE SET post_count = ac.post_count + delta;
END $$;

CREATE FUNCTION finboard_posts_counters() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM finboard_count_post(NEW.category_id, NEW.author_id, NEW.comment_count, 1);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM finboard_count_post(OLD.category_id, OLD.author_id, OLD.comment_count, -1);
    ELSIF NEW.category_id <> OLD.category_id OR NEW.author_id <> OLD.author_id THEN
        PERFORM finboard_count_post(OLD.category_id, OLD.author_id, OLD.comment_count, -1);
        PERFORM finboard_count_post(NEW.category_id, NEW.author_id, NEW.comment_count, 1);
    ELSE
        UPDATE category_counters SET comment_count = comment_count + NEW.comment_count - OLD.comment_count
        WHERE category_id = NEW.category_id;
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION finboard_comments_counters() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO author_counters AS ac (author_id, post_count, comment_count) VALUES (NEW.author_id, 0, 1)
        ON CONFLICT (author_id) DO UPDATE SET comment_count = ac.comment_count + 1;
    ELSE
        UPDATE author_counters SET comment_count = comment_count - 1 WHERE author_id = OLD.author_id;
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION finboard_cashtags_counters() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO cashtag_counters AS tc (ticker, post_count) VALUES (NEW.ticker, 1)
        ON CONFLICT (ticker) DO UPDATE SET post_count = tc.post_count + 1;
    ELSE
        UPDATE cashtag_counters SET post_count = post_count - 1 WHERE ticker = OLD.ticker;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER posts_counters AFTER INSERT OR DELETE ON posts
    FOR EACH ROW EXECUTE FUNCTION finboard_posts_counters();
CREATE TRIGGER posts_counters_update AFTER UPDATE OF category_id, author_id, comment_count ON posts
    FOR EACH ROW WHEN (OLD.category_id IS DISTINCT FROM NEW.category_id
                       OR OLD.author_id IS DISTINCT FROM NEW.author_id
                       OR OLD.comment_count IS DISTINCT FROM NEW.comment_count)
    EXECUTE FUNCTION finboard_posts_counters();
CREATE TRIGGER comments_counters AFTER INSERT OR DELETE ON comments
    FOR EACH ROW EXECUTE FUNCTION finboard_comments_counters();
CREATE TRIGGER post_cashtags_counters AFTER INSERT OR DELETE ON post_cashtags
    FOR EACH ROW EXECUTE FUNCTION finboard_cashtags_counters();
"""

PG_DROP = """
DROP TRIGGER IF EXISTS posts_counters ON posts;
DROP TRIGGER IF EXISTS posts_counters_update ON posts;
DROP TRIGGER IF EXISTS comments_counters ON comments;
DROP TRIGGER IF EXISTS post_cashtags_counters ON post_cashtags;
DROP FUNCTION IF EXISTS finboard_posts_counters();
DROP FUNCTION IF EXISTS finboard_comments_counters();
DROP FUNCTION IF EXISTS finboard_cashtags_counters();
DROP FUNCTION IF EXISTS finboard_count_post(integer, integer, integer, integer);
"""

# --- SQLite: trigger bodies are plain statements; {r} is NEW or OLD -----------------


SQLITE_TRIGGERS = {
    "posts_counters_insert": f"AFTER INSERT ON posts BEGIN {sqlite_add_post('NEW')} END",
    "posts_counters_delete": f"AFTER DELETE ON posts BEGIN {sqlite_remove_post('OLD')} END",
    "posts_counters_move": (
        "AFTER UPDATE OF category_id, author_id ON posts "
        "WHEN OLD.category_id <> NEW.category_id OR OLD.author_id <> NEW.author_id "
        f"BEGIN {sqlite_remove_post('OLD')} {sqlite_add_post('NEW')} END"
    ),
    "posts_counters_comments": (
        "AFTER UPDATE OF comment_count ON posts "
        "WHEN OLD.comment_count <> NEW.comment_count "
        "AND OLD.category_id = NEW.category_id AND OLD.author_id = NEW.author_id "
        "BEGIN UPDATE category_counters SET comment_count = comment_count + NEW.comment_count - OLD.comment_count "
        "WHERE category_id = NEW.category_id; END"
    ),
    "comments_counters_insert": (
        "AFTER INSERT ON comments BEGIN "
        "INSERT OR IGNORE INTO author_counters (author_id) VALUES (NEW.author_id); "
        "UPDATE author_counters SET comment_count = comment_count + 1 WHERE author_id = NEW.author_id; END"
    ),
    "comments_counters_delete": (
        "AFTER DELETE ON comments BEGIN "
        "UPDATE author_counters SET comment_count = comment_count - 1 WHERE author_id = OLD.author_id; END"
    ),
    "post_cashtags_counters_insert": (
        "AFTER INSERT ON post_cashtags BEGIN "
        "INSERT OR IGNORE INTO cashtag_counters (ticker) VALUES (NEW.ticker); "
        "UPDATE cashtag_counters SET post_count = post_count + 1 WHERE ticker = NEW.ticker; END"
    ),
    "post_cashtags_counters_delete": (
        "AFTER DELETE ON post_cashtags BEGIN "
        "UPDATE cashtag_counters SET post_count = post_count - 1 WHERE ticker = OLD.ticker; END"
    ),
}


def _counter(name: str, key: str, key_type, counts: tuple[str, ...], references: str | None = None) -> None:
    """A counter table: a primary key (optionally a foreign key) and integer counts."""
    columns = [
        sa.Column(key, key_type, nullable=False),
        *(sa.Column(count, sa.Integer(), nullable=False, server_default="0") for count in counts),
        sa.PrimaryKeyConstraint(key, name=op.f(f"pk_{name}")),
    ]
    if references:
        table = references.split(".")[0]
        columns.append(
            sa.ForeignKeyConstraint([key], [references], name=op.f(f"fk_{name}_{key}_{table}"), ondelete="CASCADE")
        )
    op.create_table(name, *columns)


def upgrade():
    _counter(
        "category_counters",
        "category_id",
        sa.Integer(),
        ("post_count", "comment_count", "author_count"),
        "categories.id",
    )
    op.create_table(
        "category_authors",
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("post_count", sa.Integer(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("category_id", "author_id", name=op.f("pk_category_authors")),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["categories.id"],
            name=op.f("fk_category_authors_category_id_categories"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_category_authors_author_id_users"), ondelete="CASCADE"
        ),
    )
    _counter("author_counters", "author_id", sa.Integer(), ("post_count", "comment_count"), "users.id")
    _counter("cashtag_counters", "ticker", sa.String(10), ("post_count",))

    with op.batch_alter_table("post_cashtags") as batch:
        batch.add_column(sa.Column("created_at", UTCDateTime(), nullable=True))
    op.execute("UPDATE post_cashtags SET created_at = (SELECT created_at FROM posts WHERE posts.id = post_id)")
    with op.batch_alter_table("post_cashtags") as batch:
        batch.alter_column("created_at", existing_type=UTCDateTime(), nullable=False)
    op.create_index("ix_post_cashtags_ticker_created", "post_cashtags", ["ticker", "created_at", "post_id"])

    op.drop_index("ix_posts_comment_count", table_name="posts")
    op.create_index("ix_posts_comment_count_created", "posts", ["comment_count", "created_at", "id"])

    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTIONS)
    else:
        for name, body in SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body}")
    for statement in rebuild_statements(hiding=False):
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_DROP)
    else:
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_index("ix_posts_comment_count_created", table_name="posts")
    op.create_index("ix_posts_comment_count", "posts", ["comment_count", "id"])
    op.drop_index("ix_post_cashtags_ticker_created", table_name="post_cashtags")
    with op.batch_alter_table("post_cashtags") as batch:
        batch.drop_column("created_at")
    for table in ("cashtag_counters", "author_counters", "category_authors", "category_counters"):
        op.drop_table(table)
