"""The registry's backend matrix: every adapter on its ORM and on the shared SQL layer, and the ceiling."""

from __future__ import annotations

import pytest

from finboard import registry
from finboard.registry import ALIASES, canonical, get, registered

MATRIX = ("flask-orm", "flask-sql", "fastapi-orm", "fastapi-sql", "django-orm", "django-sql", "wsgi-raw")


def test_registered_lists_the_matrix_by_canonical_names_only():
    names = list(registered())
    assert names[: len(MATRIX)] == list(MATRIX)
    assert not set(ALIASES) & set(names)


@pytest.mark.parametrize(("old", "new"), [("flask", "flask-orm"), ("fastapi", "fastapi-orm"),
                                          ("django", "django-orm"), ("raw", "wsgi-raw")])  # fmt: skip
def test_the_old_names_still_reach_their_backend(old, new):
    assert canonical(old) == new and get(old) is get(new) is registered()[new]


def test_an_unknown_name_is_a_clear_error_naming_the_registered_ones():
    with pytest.raises(KeyError, match="unknown backend 'tornado'; registered: flask-orm, flask-sql"):
        get("tornado")


@pytest.mark.parametrize("framework", ["flask", "fastapi", "django"])
def test_each_sql_entry_is_its_orm_twin_reading_through_rawsql(framework):
    orm, sql = get(f"{framework}-orm"), get(f"{framework}-sql")
    assert (orm.data_layer, sql.data_layer) == ("orm", "sql")
    assert sql.env == {**orm.env, "DATA_LAYER": "sql"} and "DATA_LAYER" not in orm.env
    assert sql.postgres_only and not orm.postgres_only
    assert sql.argv("127.0.0.1", 8000, 2) == orm.argv("127.0.0.1", 8000, 2)  # the same adapter, one setting apart
    assert (sql.pages, sql.read_only, sql.requires) == (orm.pages, orm.read_only, orm.requires)
    assert "ORM" in orm.framework and "rawsql" not in orm.framework
    assert "reads on finboard.rawsql" in sql.framework and "writes on" in sql.framework


def test_the_ceiling_is_read_only_on_the_sql_layer():
    raw = get("wsgi-raw")
    assert raw is registry.WSGI_RAW and raw.read_only and raw.postgres_only and raw.data_layer == "sql"
    assert all(b.data_layer in ("orm", "sql") for b in registry.BUILTIN)


def test_the_postgres_only_backends_say_why_sqlite_will_not_do():
    sqlite, postgres = "sqlite:///instance/finboard.sqlite3", "postgresql+psycopg://root@127.0.0.1/finboard"
    refusing = {b.name for b in registry.BUILTIN if b.database_problem(sqlite)}
    assert refusing == {"flask-sql", "fastapi-sql", "django-sql", "wsgi-raw", "asgi-raw"}
    assert get("django-sql").database_problem(sqlite) == "needs PostgreSQL (DATABASE_URL is SQLite)"
    assert not [b.name for b in registry.BUILTIN if b.database_problem(postgres)]
