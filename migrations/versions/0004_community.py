"""Community and market features: moderation, reports, notifications, watches,
edit history, profiles, sentiment, disclosure and watchlists.

- ``posts.hidden_at`` / ``comments.hidden_at``: a moderator's hide. A hidden
  post leaves every listing and every counter (the triggers below treat hiding
  like a delete and restoring like an insert); a hidden comment leaves its
  post's ``comment_count`` (the application moves it, as it does for deletes)
  and its author's counter (trigger).
- ``posts.sentiment`` / ``posts.positions`` live on the post row, like
  ``cashtags``: a listing shows them without another query.
- ``moderation_actions.target_id`` has no foreign key: the log outlives what it
  describes.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

from finboard.core.counters import rebuild_statements, sqlite_add_post, sqlite_remove_post
from finboard.core.models import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# --- PostgreSQL: hiding counts like deleting ---------------------------------------

PG_POSTS_COUNTERS = """
CREATE OR REPLACE FUNCTION finboard_posts_counters() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.hidden_at IS NULL THEN
            PERFORM finboard_count_post(NEW.category_id, NEW.author_id, NEW.comment_count, 1);
        END IF;
    ELSIF TG_OP = 'DELETE' THEN
        IF OLD.hidden_at IS NULL THEN
            PERFORM finboard_count_post(OLD.category_id, OLD.author_id, OLD.comment_count, -1);
        END IF;
    ELSIF OLD.hidden_at IS NULL AND NEW.hidden_at IS NOT NULL THEN
        PERFORM finboard_count_post(OLD.category_id, OLD.author_id, OLD.comment_count, -1);
    ELSIF OLD.hidden_at IS NOT NULL AND NEW.hidden_at IS NULL THEN
        PERFORM finboard_count_post(NEW.category_id, NEW.author_id, NEW.comment_count, 1);
    ELSIF NEW.hidden_at IS NOT NULL THEN
        NULL;  -- a hidden post is not counted anywhere
    ELSIF NEW.category_id <> OLD.category_id OR NEW.author_id <> OLD.author_id THEN
        PERFORM finboard_count_post(OLD.category_id, OLD.author_id, OLD.comment_count, -1);
        PERFORM finboard_count_post(NEW.category_id, NEW.author_id, NEW.comment_count, 1);
    ELSE
        UPDATE category_counters SET comment_count = comment_count + NEW.comment_count - OLD.comment_count
        WHERE category_id = NEW.category_id;
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION finboard_comments_counters() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.hidden_at IS NULL THEN
            INSERT INTO author_counters AS ac (author_id, post_count, comment_count) VALUES (NEW.author_id, 0, 1)
            ON CONFLICT (author_id) DO UPDATE SET comment_count = ac.comment_count + 1;
        END IF;
    ELSIF TG_OP = 'DELETE' THEN
        IF OLD.hidden_at IS NULL THEN
            UPDATE author_counters SET comment_count = comment_count - 1 WHERE author_id = OLD.author_id;
        END IF;
    ELSE
        UPDATE author_counters
        SET comment_count = comment_count + CASE WHEN NEW.hidden_at IS NULL THEN 1 ELSE -1 END
        WHERE author_id = NEW.author_id;
    END IF;
    RETURN NULL;
END $$;

DROP TRIGGER posts_counters_update ON posts;
CREATE TRIGGER posts_counters_update AFTER UPDATE OF category_id, author_id, comment_count, hidden_at ON posts
    FOR EACH ROW WHEN (OLD.category_id IS DISTINCT FROM NEW.category_id
                       OR OLD.author_id IS DISTINCT FROM NEW.author_id
                       OR OLD.comment_count IS DISTINCT FROM NEW.comment_count
                       OR (OLD.hidden_at IS NULL) <> (NEW.hidden_at IS NULL))
    EXECUTE FUNCTION finboard_posts_counters();
CREATE TRIGGER comments_counters_hide AFTER UPDATE OF hidden_at ON comments
    FOR EACH ROW WHEN ((OLD.hidden_at IS NULL) <> (NEW.hidden_at IS NULL))
    EXECUTE FUNCTION finboard_comments_counters();
"""

# --- SQLite: the 0002 triggers, each limited to visible rows, plus hide/restore ----

_VISIBLE_BOTH = "OLD.hidden_at IS NULL AND NEW.hidden_at IS NULL"


def _sqlite_triggers() -> dict[str, str]:
    add, remove = sqlite_add_post, sqlite_remove_post
    return {
        "posts_counters_delete": f"AFTER DELETE ON posts WHEN OLD.hidden_at IS NULL BEGIN {remove('OLD')} END",
        "posts_counters_move": (
            "AFTER UPDATE OF category_id, author_id ON posts "
            f"WHEN (OLD.category_id <> NEW.category_id OR OLD.author_id <> NEW.author_id) AND {_VISIBLE_BOTH} "
            f"BEGIN {remove('OLD')} {add('NEW')} END"
        ),
        "posts_counters_comments": (
            "AFTER UPDATE OF comment_count ON posts "
            "WHEN OLD.comment_count <> NEW.comment_count "
            f"AND OLD.category_id = NEW.category_id AND OLD.author_id = NEW.author_id AND {_VISIBLE_BOTH} "
            "BEGIN UPDATE category_counters SET comment_count = comment_count + NEW.comment_count - OLD.comment_count "
            "WHERE category_id = NEW.category_id; END"
        ),
        "posts_counters_hide": (
            "AFTER UPDATE OF hidden_at ON posts WHEN OLD.hidden_at IS NULL AND NEW.hidden_at IS NOT NULL "
            f"BEGIN {remove('OLD')} END"
        ),
        "posts_counters_restore": (
            "AFTER UPDATE OF hidden_at ON posts WHEN OLD.hidden_at IS NOT NULL AND NEW.hidden_at IS NULL "
            f"BEGIN {add('NEW')} END"
        ),
        "comments_counters_insert": (
            "AFTER INSERT ON comments WHEN NEW.hidden_at IS NULL BEGIN "
            "INSERT OR IGNORE INTO author_counters (author_id) VALUES (NEW.author_id); "
            "UPDATE author_counters SET comment_count = comment_count + 1 WHERE author_id = NEW.author_id; END"
        ),
        "comments_counters_delete": (
            "AFTER DELETE ON comments WHEN OLD.hidden_at IS NULL BEGIN "
            "UPDATE author_counters SET comment_count = comment_count - 1 WHERE author_id = OLD.author_id; END"
        ),
        "comments_counters_hide": (
            "AFTER UPDATE OF hidden_at ON comments WHEN (OLD.hidden_at IS NULL) <> (NEW.hidden_at IS NULL) BEGIN "
            "UPDATE author_counters SET comment_count = comment_count "
            "+ CASE WHEN NEW.hidden_at IS NULL THEN 1 ELSE -1 END WHERE author_id = NEW.author_id; END"
        ),
    }


def _user_fk(table: str, column: str, ondelete: str = "CASCADE") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], ["users.id"], name=op.f(f"fk_{table}_{column}_users"), ondelete=ondelete)


def _post_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["post_id"], ["posts.id"], name=op.f(f"fk_{table}_post_id_posts"), ondelete="CASCADE"
    )


def _comment_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["comment_id"], ["comments.id"], name=op.f(f"fk_{table}_comment_id_comments"), ondelete="CASCADE"
    )


def upgrade():
    # Plain ADD COLUMNs (no batch): on SQLite a batch rebuilds the table and loses its FTS and counter triggers.
    op.add_column("users", sa.Column("bio", sa.Text(), nullable=False, server_default=""))
    op.add_column("users", sa.Column("suspended_until", UTCDateTime(), nullable=True))
    op.add_column("posts", sa.Column("sentiment", sa.String(8), nullable=True))
    op.add_column("posts", sa.Column("positions", sa.String(255), nullable=False, server_default=""))
    op.add_column("posts", sa.Column("pinned", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("posts", sa.Column("locked", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("posts", sa.Column("edit_count", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("posts", sa.Column("hidden_at", UTCDateTime(), nullable=True))
    op.add_column("comments", sa.Column("hidden_at", UTCDateTime(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        # Not on SQLite, where adding a constraint rebuilds the table (and drops its triggers).
        # Every write path validates sentiment before it reaches the table anyway.
        op.create_check_constraint("sentiment_valid", "posts", "sentiment IN ('bullish', 'bearish')")
    op.drop_index("ix_comments_author_id", table_name="comments")
    op.create_index("ix_comments_author_created", "comments", ["author_id", "created_at", "id"])

    op.create_table(
        "post_revisions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("editor_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        _post_fk("post_revisions"),
        _user_fk("post_revisions", "editor_id"),
    )
    op.create_index("ix_post_revisions_post_id", "post_revisions", ["post_id", "id"])

    op.create_table(
        "reports",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("reporter_id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("comment_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("status", sa.String(8), nullable=False, server_default="open"),
        sa.Column("resolution", sa.String(500), nullable=False, server_default=""),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.Column("resolved_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("status IN ('open', 'resolved')", name=op.f("ck_reports_status_valid")),
        _user_fk("reports", "reporter_id"),
        _user_fk("reports", "resolved_by_id", "SET NULL"),
        _post_fk("reports"),
        _comment_fk("reports"),
    )
    op.create_index("ix_reports_status_id", "reports", ["status", "id"])
    op.create_index("ix_reports_post_id", "reports", ["post_id"])

    op.create_table(
        "moderation_actions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("moderator_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("target_type", sa.String(8), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("summary", sa.String(200), nullable=False, server_default=""),
        sa.Column("reason", sa.String(500), nullable=False, server_default=""),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        _user_fk("moderation_actions", "moderator_id", "SET NULL"),
    )

    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("comment_id", sa.Integer(), nullable=True),
        sa.Column("ticker", sa.String(10), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("read_at", UTCDateTime(), nullable=True),
        _user_fk("notifications", "user_id"),
        _user_fk("notifications", "actor_id"),
        _post_fk("notifications"),
        _comment_fk("notifications"),
    )
    op.create_index("ix_notifications_user_id", "notifications", ["user_id", "id"])
    op.create_index("ix_notifications_post_id", "notifications", ["post_id"])
    unread = sa.text("read_at IS NULL")
    op.create_index(
        "ix_notifications_unread", "notifications", ["user_id"], postgresql_where=unread, sqlite_where=unread
    )

    op.create_table(
        "post_watches",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "post_id", name=op.f("pk_post_watches")),
        _user_fk("post_watches", "user_id"),
        _post_fk("post_watches"),
    )
    op.create_index("ix_post_watches_post_id", "post_watches", ["post_id"])
    op.create_table(
        "category_watches",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "category_id", name=op.f("pk_category_watches")),
        _user_fk("category_watches", "user_id"),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["categories.id"],
            name=op.f("fk_category_watches_category_id_categories"),
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_category_watches_category_id", "category_watches", ["category_id"])
    op.create_table(
        "ticker_follows",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("ticker", sa.String(10), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "ticker", name=op.f("pk_ticker_follows")),
        _user_fk("ticker_follows", "user_id"),
    )
    op.create_index("ix_ticker_follows_ticker", "ticker_follows", ["ticker"])

    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_POSTS_COUNTERS)
        # Every listing now filters on hidden_at. A column added to a table that is already analyzed has no
        # statistics, and nothing triggers autoanalyze (no row changed): the planner would take "hidden_at IS
        # NULL" for 0.5% of the rows and sort the whole table instead of reading the newest 20 off an index.
        op.execute("ANALYZE users, posts, comments")
    else:
        for name, body in _sqlite_triggers().items():
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
            op.execute(f"CREATE TRIGGER {name} {body}")
    for statement in rebuild_statements():
        op.execute(statement)


def downgrade():
    raise NotImplementedError("0004 adds data (reports, notifications, history) that a downgrade would lose")
