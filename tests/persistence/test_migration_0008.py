"""Migration 0008 on a database that already holds members, on SQLite and PostgreSQL.

Members who existed before it count as verified (they were never asked); a member made
after it is not, until the link; the downgrade drops the column and keeps the
case-insensitive username index (SQLite's table rebuild would have lost it).
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

NOW = "2026-12-01 10:00:00"


def _check(url: str) -> None:
    config = _alembic(url)
    command.upgrade(config, "0007")
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (id, username, email, password_hash, created_at) "
                f"VALUES (1, 'ann', 'ann@example.com', 'x', '{NOW}')"
            )
        )
    command.upgrade(config, "0008")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (id, username, email, password_hash, created_at) "
                f"VALUES (2, 'bob', 'bob@example.com', 'x', '{NOW}')"
            )
        )
        rows = connection.execute(text("SELECT username, email_verified_at FROM users ORDER BY id")).all()
        assert [(name, verified is not None) for name, verified in rows] == [("ann", True), ("bob", False)]
    command.downgrade(config, "0007")
    with engine.begin() as connection, pytest.raises(Exception, match="(?i)unique"):
        connection.execute(
            text(
                "INSERT INTO users (id, username, email, password_hash, created_at) "
                f"VALUES (3, 'ANN', 'other@example.com', 'x', '{NOW}')"
            )
        )
    engine.dispose()


def test_0008_on_sqlite(tmp_path):
    _check(f"sqlite:///{tmp_path / 'mig.sqlite3'}")


def test_0008_on_postgres():
    require_postgres()
    name = f"finboard_mig8_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        _check(f"postgresql+psycopg://root@127.0.0.1:5432/{name}")
    finally:
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
