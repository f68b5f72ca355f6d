"""Migration 0006 on a database that already holds reports, on SQLite and PostgreSQL.

Existing reports get their snapshot from the rows they point at, the foreign
keys become ON DELETE SET NULL (a plain DELETE of a post or comment leaves the
report), and the SQLite table rebuild leaves every trigger of the other tables.
"""

from __future__ import annotations

import os
import uuid

import psycopg
from alembic import command
from sqlalchemy import create_engine, text

from tests.databases import PG_ADMIN_DSN, require_postgres
from tests.persistence.test_migration_0004 import _alembic

NOW = "2026-12-01 10:00:00"


def _fill(connection) -> None:
    for statement in (
        f"INSERT INTO users (id, username, email, password_hash, created_at) VALUES "
        f"(1, 'ann', 'ann@example.com', 'x', '{NOW}'), (2, 'bob', 'bob@example.com', 'x', '{NOW}')",
        f"INSERT INTO posts (id, author_id, category_id, title, body, created_at, updated_at) VALUES "
        f"(1, 1, (SELECT MIN(id) FROM categories), 'Pump $XYZ', 'Buy now', '{NOW}', '{NOW}')",
        f"INSERT INTO comments (id, post_id, author_id, body, created_at) VALUES (1, 1, 2, 'Spam link', '{NOW}')",
        "UPDATE posts SET comment_count = 1 WHERE id = 1",
        f"INSERT INTO reports (reporter_id, post_id, comment_id, reason, created_at) VALUES "
        f"(2, 1, NULL, 'pump', '{NOW}'), (1, 1, 1, 'spam', '{NOW}')",
    ):
        connection.execute(text(statement))


def _check(url: str) -> None:
    config = _alembic(url)
    command.upgrade(config, "0005")
    engine = create_engine(url)
    with engine.begin() as connection:
        triggers_before = _triggers(connection)
        _fill(connection)
    command.upgrade(config, "0006")
    with engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            connection.execute(text("PRAGMA foreign_keys=ON"))
        snapshot = "SELECT target_type, title, content, target_author_id, post_id, comment_id FROM reports ORDER BY id"
        assert connection.execute(text(snapshot)).all() == [
            ("post", "Pump $XYZ", "Buy now", 1, 1, None),
            ("comment", "Pump $XYZ", "Spam link", 2, 1, 1),
        ]
        assert _triggers(connection) == triggers_before
        connection.execute(text("DELETE FROM comments WHERE id = 1"))
        connection.execute(text("UPDATE posts SET comment_count = 0 WHERE id = 1"))
        connection.execute(text("DELETE FROM posts WHERE id = 1"))
        assert connection.execute(text(snapshot)).all() == [
            ("post", "Pump $XYZ", "Buy now", 1, None, None),
            ("comment", "Pump $XYZ", "Spam link", 2, None, None),
        ]
    engine.dispose()


def _triggers(connection) -> set[str]:
    if connection.dialect.name == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    else:
        sql = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
    return set(connection.execute(text(sql)).scalars())


def test_0006_on_sqlite(tmp_path):
    _check(f"sqlite:///{tmp_path / 'mig.sqlite3'}")


def test_0006_on_postgres():
    require_postgres()
    name = f"finboard_mig6_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        _check(f"postgresql+psycopg://root@127.0.0.1:5432/{name}")
    finally:
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
