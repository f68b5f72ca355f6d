"""Initial schema: users, categories, posts, cashtags, comments, full-text search.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

from finboard.core.models import DEFAULT_CATEGORIES, UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("username", sa.String(32), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False, server_default="member"),
        sa.Column("token_version", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
        sa.CheckConstraint("role IN ('member', 'moderator', 'admin')", name=op.f("ck_users_role_valid")),
    )
    op.create_index("uq_users_username_lower", "users", [sa.text("lower(username)")], unique=True)

    categories = op.create_table(
        "categories",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("slug", sa.String(40), nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("description", sa.Text(), nullable=False, server_default=""),
        sa.Column("position", sa.Integer(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_categories")),
        sa.UniqueConstraint("slug", name=op.f("uq_categories_slug")),
    )

    op.create_table(
        "posts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("cashtags", sa.String(255), nullable=False, server_default=""),
        sa.Column("comment_count", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_posts")),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_posts_author_id_users"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["categories.id"],
            name=op.f("fk_posts_category_id_categories"),
            ondelete="RESTRICT",
        ),
        sa.CheckConstraint("comment_count >= 0", name=op.f("ck_posts_comment_count_nonnegative")),
    )
    op.create_index("ix_posts_created_at_id", "posts", ["created_at", "id"])
    op.create_index("ix_posts_category_created", "posts", ["category_id", "created_at", "id"])
    op.create_index("ix_posts_author_created", "posts", ["author_id", "created_at", "id"])
    op.create_index("ix_posts_comment_count", "posts", ["comment_count", "id"])

    op.create_table(
        "post_cashtags",
        sa.Column("ticker", sa.String(10), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("ticker", "post_id", name=op.f("pk_post_cashtags")),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name=op.f("fk_post_cashtags_post_id_posts"), ondelete="CASCADE"
        ),
    )
    op.create_index("ix_post_cashtags_post_id", "post_cashtags", ["post_id"])

    op.create_table(
        "comments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comments")),
        sa.ForeignKeyConstraint(["post_id"], ["posts.id"], name=op.f("fk_comments_post_id_posts"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_comments_author_id_users"), ondelete="CASCADE"
        ),
    )
    op.create_index("ix_comments_post_created", "comments", ["post_id", "created_at", "id"])
    op.create_index("ix_comments_author_id", "comments", ["author_id"])

    _create_full_text_search()

    op.bulk_insert(
        categories,
        [
            {"slug": slug, "name": name, "description": description, "position": position}
            for position, (slug, name, description) in enumerate(DEFAULT_CATEGORIES)
        ],
    )


def _create_full_text_search():
    """PostgreSQL: generated tsvector + GIN. SQLite: FTS5 kept in sync by triggers."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "ALTER TABLE posts ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
            "setweight(to_tsvector('english', coalesce(title, '')), 'A') || "
            "setweight(to_tsvector('english', coalesce(body, '')), 'B')) STORED"
        )
        op.execute("CREATE INDEX ix_posts_search_vector ON posts USING gin (search_vector)")
        return
    op.execute(
        "CREATE VIRTUAL TABLE posts_fts USING fts5("
        "title, body, content='posts', content_rowid='id', tokenize='porter unicode61')"
    )
    op.execute(
        "CREATE TRIGGER posts_fts_insert AFTER INSERT ON posts BEGIN "
        "INSERT INTO posts_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END"
    )
    op.execute(
        "CREATE TRIGGER posts_fts_delete AFTER DELETE ON posts BEGIN "
        "INSERT INTO posts_fts(posts_fts, rowid, title, body) "
        "VALUES ('delete', old.id, old.title, old.body); END"
    )
    op.execute(
        "CREATE TRIGGER posts_fts_update AFTER UPDATE OF title, body ON posts BEGIN "
        "INSERT INTO posts_fts(posts_fts, rowid, title, body) "
        "VALUES ('delete', old.id, old.title, old.body); "
        "INSERT INTO posts_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END"
    )


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("posts_fts_insert", "posts_fts_delete", "posts_fts_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS posts_fts")
    op.drop_table("comments")
    op.drop_table("post_cashtags")
    op.drop_table("posts")
    op.drop_table("categories")
    op.drop_index("uq_users_username_lower", table_name="users")
    op.drop_table("users")
