"""Migration 0018 on a database that already holds posts with a post-level sentiment.

Each such post gets that view on every one of its cashtags, in the post's cashtag order
(how the cashtag pages counted it before), posts without a view or without cashtags get
none, and the downgrade drops the column without touching the posts' triggers.
"""

from __future__ import annotations

import os
import uuid

import psycopg
from alembic import command
from sqlalchemy import create_engine, text

from tests.databases import PG_ADMIN_DSN, require_postgres
from tests.persistence.test_migration_0004 import _alembic
from tests.persistence.test_migration_0006 import _triggers

NOW = "2026-12-01 10:00:00"
POSTS = [
    # (id, title, cashtags, sentiment)
    (1, "Long $NVDA, $AMD too", "NVDA AMD", "bullish"),
    (2, "Bear case $BRK.B", "BRK.B", "bearish"),
    (3, "No view on $TSLA", "TSLA", None),
    (4, "Rates, no tickers", "", "bullish"),
]


def _fill(connection) -> None:
    connection.execute(
        text(
            "INSERT INTO users (id, username, email, password_hash, created_at) "
            f"VALUES (1, 'ann', 'ann@example.com', 'x', '{NOW}')"
        )
    )
    for post_id, title, cashtags, sentiment in POSTS:
        connection.execute(
            text(
                "INSERT INTO posts (id, author_id, category_id, title, body, cashtags, sentiment, created_at, "
                "updated_at) VALUES (:id, 1, (SELECT MIN(id) FROM categories), :title, 'Body', :cashtags, "
                f":sentiment, '{NOW}', '{NOW}')"
            ),
            {"id": post_id, "title": title, "cashtags": cashtags, "sentiment": sentiment},
        )


def _check(url: str) -> None:
    config = _alembic(url)
    command.upgrade(config, "0017")  # the revision before: 0018 changes no trigger
    engine = create_engine(url)
    with engine.begin() as connection:
        _fill(connection)
        triggers_before = _triggers(connection)
    command.upgrade(config, "0018")
    views = "SELECT id, sentiment, sentiments FROM posts ORDER BY id"
    with engine.begin() as connection:
        assert connection.execute(text(views)).all() == [
            (1, "bullish", "NVDA:bullish AMD:bullish"),
            (2, "bearish", "BRK.B:bearish"),
            (3, None, ""),
            (4, "bullish", ""),
        ]
        assert _triggers(connection) == triggers_before
    command.downgrade(config, "0017")
    with engine.begin() as connection:
        assert connection.execute(text("SELECT count(*) FROM posts")).scalar_one() == len(POSTS)
        assert _triggers(connection) == triggers_before
    engine.dispose()


def test_0018_on_sqlite(tmp_path):
    _check(f"sqlite:///{tmp_path / 'mig.sqlite3'}")


def test_0018_on_postgres():
    require_postgres()
    name = f"finboard_mig18_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        _check(f"postgresql+psycopg://root@127.0.0.1:5432/{name}")
    finally:
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
