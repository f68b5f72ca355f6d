"""Throwaway databases for a test run: a fresh PostgreSQL database or SQLite file.

PostgreSQL and Redis are required: when they can't be reached the tests that
need them fail with a clear message — they are never skipped.
"""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from pathlib import Path

import psycopg
import redis
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text

from finboard.core.counters import COUNTER_TABLES

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN_DSN = os.environ.get("TEST_PG_ADMIN_DSN", "postgresql://root@127.0.0.1:5432/postgres")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")

# Everything but categories (seeded by the migration) is emptied between tests.
# Counters too: TRUNCATE fires no row triggers, so they would keep the old counts.
# The community tables first: SQLite reuses ids, so a notification, report or log
# row left behind would belong to the next test's user 1 or post 1.
COMMUNITY_TABLES = (
    "notifications",
    "reports",
    "moderation_actions",
    "post_revisions",
    "post_watches",
    "category_watches",
    "ticker_follows",
    "user_blocks",
    "user_mutes",
    "post_reads",
    "bookmarks",
    "uploads",
)
ACCOUNT_TABLES = ("user_two_factor", "user_recovery_codes", "notification_preferences")
# Notification mail and digests (migration 0013): before the notifications they point at.
MAIL_TABLES = ("notification_emails", "digest_sends", "unsubscribe_uses", "data_exports", "account_deletions")
REACTION_TABLES = ("post_reactions", "comment_reactions")
DATA_TABLES = (
    *MAIL_TABLES, *REACTION_TABLES,
    *COMMUNITY_TABLES, *ACCOUNT_TABLES, "user_sessions", "comment_revisions", "comments", "post_cashtags", "posts",
    "users", *COUNTER_TABLES,
)  # fmt: skip


def require_postgres() -> None:
    try:
        with psycopg.connect(PG_ADMIN_DSN, connect_timeout=3):
            pass
    except psycopg.OperationalError as exc:  # fail loudly, never skip
        raise RuntimeError(
            f"PostgreSQL is required for these tests and is not reachable at {PG_ADMIN_DSN}: {exc}. "
            "Start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
        ) from exc


def require_redis() -> None:
    try:
        redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        raise RuntimeError(
            f"Redis is required for these tests and is not reachable at {TEST_REDIS_URL}: {exc}. "
            'Start it with: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no'
        ) from exc


def migrate(url: str) -> None:
    config = Config(str(ROOT / "migrations" / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(config, "head")


@contextmanager
def postgres_database(prefix: str = "finboard_test"):
    """Create a uniquely named, migrated database; drop it afterwards."""
    require_postgres()
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+psycopg://root@127.0.0.1:5432/{name}"
    try:
        migrate(url)
        yield url
    finally:
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def sqlite_database(directory: Path):
    path = directory / f"finboard-{uuid.uuid4().hex[:8]}.sqlite3"
    url = f"sqlite:///{path}"
    migrate(url)
    yield url


def empty_tables(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(DATA_TABLES)} RESTART IDENTITY CASCADE"))
        else:
            for table in DATA_TABLES:
                conn.execute(text(f"DELETE FROM {table}"))
    engine.dispose()


def first_post_author(url: str) -> str:
    """The username of the author of post 1 in a seeded database (the cases' author filters use it)."""
    engine = create_engine(url)
    with engine.connect() as conn:
        name = conn.execute(
            text("SELECT u.username FROM posts p JOIN users u ON u.id = p.author_id WHERE p.id = 1")
        ).scalar_one()
    engine.dispose()
    return name
