"""Migration 0019 on a database that already holds members and their posts, on SQLite and PostgreSQL.

Up: every row stays (SQLite rebuilds ``users``: no post goes with it, no foreign key dangles),
the username index, the role check and the column defaults survive, an address may then be
carried by several unconfirmed accounts but confirmed by one only (in any case). Down: refused,
changing nothing, while two accounts share an address; once they do not, the unique
constraint is back, with every row and trigger as before.
"""

from __future__ import annotations

import os
import uuid

import psycopg
import pytest
from alembic import command
from sqlalchemy import create_engine, text

from tests.databases import PG_ADMIN_DSN, require_postgres
from tests.persistence.test_migration_0004 import _alembic
from tests.persistence.test_migration_0006 import _triggers

NOW = "2026-12-01 10:00:00"
INSERT_USER = (
    "INSERT INTO users (id, username, email, password_hash, created_at, email_verified_at) "
    "VALUES (:id, :name, :email, 'x', '" + NOW + "', :verified)"
)


def _add_user(engine, user_id: int, name: str, email: str, verified: str | None = None) -> None:
    with engine.begin() as connection:
        connection.execute(text(INSERT_USER), {"id": user_id, "name": name, "email": email, "verified": verified})


def _refused(engine, user_id: int, name: str, email: str, verified: str | None = None) -> None:
    with pytest.raises(Exception, match="(?i)unique|duplicate"):
        _add_user(engine, user_id, name, email, verified)


def _rows(engine) -> dict:
    with engine.connect() as connection:
        users = connection.execute(
            text("SELECT id, username, email, email_verified_at IS NOT NULL, role, bio, token_version FROM users")
        ).all()
        posts = connection.execute(text("SELECT id, author_id, title FROM posts ORDER BY id")).all()
    return {"users": sorted(tuple(row) for row in users), "posts": [tuple(row) for row in posts]}


def _index_names(engine) -> set[str]:
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            sql = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'users' AND sql IS NOT NULL"
        else:
            sql = "SELECT indexname FROM pg_indexes WHERE tablename = 'users'"
        return set(connection.execute(text(sql)).scalars())


def _check(url: str) -> None:
    config = _alembic(url)
    command.upgrade(config, "0018")
    engine = create_engine(url)
    _add_user(engine, 1, "ann", "ann@example.com", NOW)
    _add_user(engine, 2, "bob", "bob@example.com")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO posts (id, author_id, category_id, title, body, created_at, updated_at) "
                f"VALUES (1, 1, (SELECT MIN(id) FROM categories), 'Kept', 'Body', '{NOW}', '{NOW}')"
            )
        )
        triggers = _triggers(connection)
    before = _rows(engine)

    command.upgrade(config, "0019")
    assert _rows(engine) == before
    assert {"uq_users_username_lower", "uq_users_email_verified", "ix_users_email"} <= _index_names(engine)
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA foreign_key_check")).all() == []
            assert connection.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    with engine.connect() as connection:
        assert _triggers(connection) == triggers
    _add_user(engine, 3, "cat", "ann@example.com")  # an unconfirmed account may carry an owned address
    _add_user(engine, 4, "dan", "bob@example.com")  # … or an unowned one, with another unconfirmed
    _refused(engine, 5, "eve", "ann@example.com", NOW)  # but only one account confirms it
    _refused(engine, 5, "eve", "ANN@example.com", NOW)  # in any case
    _add_user(engine, 5, "eve", "bob@example.com", NOW)  # bob's address: confirmed by eve first
    _refused(engine, 6, "ANN", "other@example.com")  # the username index survived the rebuild
    with pytest.raises(Exception, match="(?i)check|constraint"), engine.begin() as connection:
        connection.execute(text("UPDATE users SET role = 'king' WHERE id = 2"))  # so did the role check
    with engine.connect() as connection:  # and the defaults
        assert connection.execute(text("SELECT role, bio, token_version FROM users WHERE id = 3")).one() == (
            "member",
            "",
            0,
        )

    with pytest.raises(RuntimeError, match="2 address"):
        command.downgrade(config, "0018")
    with engine.connect() as connection:  # refused before any change
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0019"
        assert connection.execute(text("SELECT count(*) FROM users")).scalar() == 5
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM users WHERE id IN (3, 4, 5)"))
    command.downgrade(config, "0018")
    assert _rows(engine) == before
    assert "uq_users_email_verified" not in _index_names(engine) and "ix_users_email" not in _index_names(engine)
    _refused(engine, 3, "cat", "ann@example.com")  # one account per address again
    _refused(engine, 3, "ANN", "other@example.com")
    with engine.connect() as connection:
        assert _triggers(connection) == triggers
    engine.dispose()


def test_0019_on_sqlite(tmp_path):
    _check(f"sqlite:///{tmp_path / 'mig.sqlite3'}")


def test_0019_on_postgres():
    require_postgres()
    name = f"finboard_mig19_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        _check(f"postgresql+psycopg://root@127.0.0.1:5432/{name}")
    finally:
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
