"""Migration 0004 on a PostgreSQL database that already holds (and has analyzed) posts.

Every listing filters on the new ``hidden_at`` column. Without statistics on it
the planner takes ``hidden_at IS NULL`` for 0.5% of the rows and sorts the whole
table for each page; the migration analyzes, so the newest posts still come off
an index.
"""

from __future__ import annotations

import os
import uuid

import psycopg
from alembic import command
from alembic.config import Config

from finboard.rawsql import statements as pg_sql
from tests.databases import PG_ADMIN_DSN, ROOT, require_postgres

POSTS = 20_000


def _alembic(url: str) -> Config:
    config = Config(str(ROOT / "migrations" / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", url)
    return config


def test_the_migration_leaves_the_listing_on_its_index():
    require_postgres()
    name = f"finboard_mig_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+psycopg://root@127.0.0.1:5432/{name}"
    dsn = f"postgresql://root@127.0.0.1:5432/{name}"
    try:
        command.upgrade(_alembic(url), "0003")
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(
                "INSERT INTO users (username, email, password_hash, role, token_version, created_at) "
                "VALUES ('writer', 'w@example.com', 'x', 'member', 0, now())"
            )
            conn.execute(
                "INSERT INTO posts (author_id, category_id, title, body, created_at, updated_at) "
                "SELECT 1, (SELECT min(id) FROM categories), 'Post ' || n, 'Body', "
                "now() - n * interval '1 minute', now() FROM generate_series(1, %s) AS n",
                (POSTS,),
            )
            conn.execute("ANALYZE")
        command.upgrade(_alembic(url), "head")
        with psycopg.connect(dsn, autocommit=True) as conn:
            stats = conn.execute(
                "SELECT null_frac FROM pg_stats WHERE tablename = 'posts' AND attname = 'hidden_at'"
            ).fetchone()
            assert stats is not None and stats[0] == 1.0, "hidden_at has statistics: every row visible"
            page_sql, params, *_ = pg_sql.post_list(
                search=None, category=None, author=None, cashtag=None, since=None, until=None,
                sort="new", page=1, per_page=20,
            )  # fmt: skip
            plan = "\n".join(row[0] for row in conn.execute(f"EXPLAIN {page_sql}", params))
            assert "Index Scan Backward using ix_posts_created_at_id" in plan, plan
            assert "Seq Scan on posts" not in plan, plan
    finally:
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
