"""Migration 0020 up and down: with the rum extension, without it, and on SQLite.

With the extension the upgrade builds ``ix_posts_search_rum`` and the RUM-aware
``finboard_search_newest``; as if the extension were missing (``FINBOARD_SEARCH_INDEX=gin``,
the branch taken when ``pg_available_extensions`` has no rum or ``CREATE EXTENSION`` is
refused) it builds no RUM index and the GIN function. Either way the GIN index stays, a
search answers the same ids, and the downgrade removes the function, the index and the
extension it installed, leaving the posts as they were. SQLite is untouched (FTS5).
"""

from __future__ import annotations

import os
import uuid

import psycopg
import pytest
from alembic import command
from sqlalchemy import create_engine, inspect, text

from finboard.contract.search_newest import SEARCH_INDEX_SQL
from tests.databases import PG_ADMIN_DSN, require_postgres
from tests.persistence.test_migration_0004 import _alembic

NOW = "2026-12-01 10:00:00+00"
NEWEST = "SELECT * FROM finboard_search_newest(to_tsquery('english', 'rates'), NULL, NULL, 10)"


def _fill(connection) -> None:
    connection.execute(
        text(
            "INSERT INTO users (id, username, email, password_hash, created_at) "
            f"VALUES (1, 'ann', 'ann@example.com', 'x', '{NOW}')"
        )
    )
    for post_id, title in ((1, "Rates up"), (2, "Rates down"), (3, "Nothing here")):
        connection.execute(
            text(
                "INSERT INTO posts (id, author_id, category_id, title, body, cashtags, created_at, updated_at) "
                f"VALUES (:id, 1, (SELECT min(id) FROM categories), :title, 'Body', '', '{NOW}', '{NOW}')"
            ),
            {"id": post_id, "title": title},
        )


def _state(connection) -> dict:
    return {
        "index": connection.execute(text(SEARCH_INDEX_SQL)).scalar_one(),
        "rum_index": connection.execute(text("SELECT to_regclass('ix_posts_search_rum') IS NOT NULL")).scalar_one(),
        "gin_index": connection.execute(text("SELECT to_regclass('ix_posts_search_vector') IS NOT NULL")).scalar_one(),
        "extension": connection.execute(text("SELECT count(*) FROM pg_extension WHERE extname = 'rum'")).scalar_one(),
        "newest": sorted(connection.execute(text(NEWEST)).scalars().all()),
    }


def _gone(connection) -> dict:
    return {
        "function": connection.execute(
            text("SELECT count(*) FROM pg_proc WHERE proname = 'finboard_search_newest'")
        ).scalar_one(),
        "rum_index": connection.execute(text("SELECT to_regclass('ix_posts_search_rum') IS NOT NULL")).scalar_one(),
        "extension": connection.execute(text("SELECT count(*) FROM pg_extension WHERE extname = 'rum'")).scalar_one(),
        "posts": connection.execute(text("SELECT count(*) FROM posts")).scalar_one(),
    }


def _check_postgres(url: str, monkeypatch) -> None:
    config = _alembic(url)
    command.upgrade(config, "0019")
    engine = create_engine(url)
    with engine.begin() as connection:
        _fill(connection)
    try:
        for forced in (None, "gin", None):
            if forced:
                monkeypatch.setenv("FINBOARD_SEARCH_INDEX", forced)
            else:
                monkeypatch.delenv("FINBOARD_SEARCH_INDEX", raising=False)
            command.upgrade(config, "0020")
            with engine.begin() as connection:
                state = _state(connection)
            rum = forced is None
            assert state == {
                "index": "rum" if rum else "gin",
                "rum_index": rum,
                "gin_index": True,
                "extension": 1 if rum else 0,
                "newest": [1, 2],
            }
            command.downgrade(config, "0019")
            with engine.begin() as connection:
                assert _gone(connection) == {"function": 0, "rum_index": False, "extension": 0, "posts": 3}
                assert connection.execute(text(SEARCH_INDEX_SQL)).scalar_one() is None
    finally:
        engine.dispose()


def test_0020_on_postgres_with_and_without_rum(monkeypatch):
    require_postgres()
    name = f"finboard_mig19_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        _check_postgres(f"postgresql+psycopg://root@127.0.0.1:5432/{name}", monkeypatch)
    finally:
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_0020_when_create_extension_is_refused():
    """A migrating role that may not install extensions (no superuser): the GIN fallback, no error."""
    require_postgres()
    suffix = f"{os.getpid()}_{uuid.uuid4().hex[:8]}"
    name, role = f"finboard_mig19r_{suffix}", f"finboard_mig19r_{suffix}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as admin:
        admin.execute(f'CREATE ROLE "{role}" LOGIN')
        admin.execute(f'CREATE DATABASE "{name}" OWNER "{role}"')
    url = f"postgresql+psycopg://{role}@127.0.0.1:5432/{name}"
    try:
        command.upgrade(_alembic(url), "head")
        engine = create_engine(url)
        with engine.begin() as connection:
            assert connection.execute(text(SEARCH_INDEX_SQL)).scalar_one() == "gin"
            assert connection.execute(text("SELECT to_regclass('ix_posts_search_rum')")).scalar_one() is None
        engine.dispose()
    finally:
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'DROP ROLE IF EXISTS "{role}"')


@pytest.mark.parametrize("target", ["0020", "0019"])
def test_0020_on_sqlite_changes_nothing(tmp_path, target):
    url = f"sqlite:///{tmp_path / 'mig.sqlite3'}"
    config = _alembic(url)
    command.upgrade(config, "0019")
    engine = create_engine(url)
    before = sorted(inspect(engine).get_table_names())
    command.upgrade(config, "0020")
    command.downgrade(config, target)
    assert sorted(inspect(engine).get_table_names()) == before
    engine.dispose()
