"""DATA_LAYER: which data layer answers the reads, proved by where the statements go.

``orm`` reads run on the framework's ORM, so they pass through its statement
hooks (SQLAlchemy's ``before_cursor_execute``, Django's query capture); ``sql``
reads run ``finboard.rawsql.reads`` on the psycopg connection underneath, which
those hooks never see. Both must answer the same bytes. ``sql`` needs PostgreSQL.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import event

from finboard.app import create_app
from finboard.extensions import db
from finboard.settings import ConfigError, load_settings
from tests.conftest import Factory
from tests.databases import empty_tables

ROOT = Path(__file__).resolve().parents[2]
SECRET = "data-layer-secret-key-0123456789abcdef"
READS = ("/api/v1/posts", "/api/v1/posts/{id}", "/api/v1/posts/{id}/comments", "/api/v1/categories")
READS += ("/api/v1/posts?sort=hot", "/api/v1/posts?sort=top&period=week")  # reactions and ranking


def flask_app(url: str, layer: str):
    settings = load_settings({"DATABASE_URL": url, "SECRET_KEY": SECRET, "DATA_LAYER": layer})
    return create_app(
        {
            "TESTING": True,
            "FINBOARD_SETTINGS": settings,
            "SQLALCHEMY_DATABASE_URI": settings.database_url,
            "CACHE_TYPE": "NullCache",  # every read reaches the data layer
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )


@pytest.fixture
def board(postgres_url):
    """Two Flask apps on one PostgreSQL database, one per data layer, and a post with a comment."""
    empty_tables(postgres_url)
    apps = {layer: flask_app(postgres_url, layer) for layer in ("orm", "sql")}
    make = Factory(apps["orm"])
    author = make.user("layers")
    post_id = make.post(author, title="Layered $MSFT thoughts")
    make.comment(post_id, author, body="A comment on the layers.")
    yield apps, post_id
    for app in apps.values():
        with app.app_context():
            db.session.remove()
            db.engines[None].dispose()


def orm_statements(app, path: str) -> tuple[bytes, list[str]]:
    """GET ``path``: the body and the statements that went through SQLAlchemy."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        response = app.test_client().get(path)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert response.status_code == 200, (path, response.text)
    return response.data, seen


def test_each_flask_layer_serves_the_reads_and_both_answer_the_same_bytes(board):
    apps, post_id = board
    for path in (p.format(id=post_id) for p in READS):
        orm_body, orm_seen = orm_statements(apps["orm"], path)
        sql_body, sql_seen = orm_statements(apps["sql"], path)
        assert any("FROM" in s for s in orm_seen), (path, orm_seen)  # the ORM ran the reads
        assert sql_seen == [], (path, sql_seen)  # rawsql ran them on the psycopg connection
        assert orm_body == sql_body, path
    document = json.loads(orm_statements(apps["sql"], f"/api/v1/posts/{post_id}")[0])
    assert document["title"] == "Layered $MSFT thoughts"
    assert [c["body"] for c in document["comments"]] == ["A comment on the layers."]


@pytest.mark.parametrize("layer", ["orm", "sql"])
def test_the_forum_pages_work_on_either_layer(board, layer):
    apps, post_id = board
    client = apps[layer].test_client()
    home = client.get("/")
    assert home.status_code == 200 and "Layered $MSFT thoughts" in home.text
    page = client.get(f"/posts/{post_id}")  # the post alone, then its own page of comments
    assert page.status_code == 200
    assert "Layered $MSFT thoughts" in page.text and "A comment on the layers." in page.text
    assert client.get(f"/posts/{post_id + 1000}").status_code == 404
    assert "Layered $MSFT thoughts" in client.get("/search?q=layered").text


def test_the_sql_layer_is_refused_on_sqlite(tmp_path):
    sqlite = f"sqlite:///{tmp_path / 'board.sqlite3'}"
    with pytest.raises(ConfigError) as refused:
        load_settings({"DATABASE_URL": sqlite, "SECRET_KEY": SECRET, "DATA_LAYER": "sql"})
    message = str(refused.value)
    assert "DATA_LAYER=sql needs PostgreSQL" in message and "DATABASE_URL" in message
    assert SECRET not in message  # a rule across variables does not echo the settings
    assert load_settings({"DATABASE_URL": sqlite, "SECRET_KEY": SECRET}).data_layer == "orm"


def test_the_flask_app_refuses_sql_on_the_database_it_really_uses(postgres_url, tmp_path):
    settings = load_settings({"DATABASE_URL": postgres_url, "SECRET_KEY": SECRET, "DATA_LAYER": "sql"})
    with pytest.raises(ConfigError, match="DATA_LAYER=sql needs PostgreSQL"):
        create_app({"FINBOARD_SETTINGS": settings, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite3'}"})


DJANGO_READS = """
import json, sys
import django
django.setup()
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
client, answers = Client(), {}
for path in sys.argv[1:]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    answers[path] = [response.status_code, response.content.decode(), len(captured.captured_queries)]
print(json.dumps(answers))
"""


def django_reads(url: str, layer: str, paths: list[str]) -> dict:
    """Django's answers to ``paths`` and how many statements went through its ORM, in a fresh process."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "backends.django.settings",
        "DATABASE_URL": url,
        "SECRET_KEY": SECRET,
        "DATA_LAYER": layer,
        "CACHE_ENABLED": "0",
        "REDIS_URL": "",
    }
    done = subprocess.run(
        [sys.executable, "-c", DJANGO_READS, *paths], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.splitlines()[-1])


def test_each_django_layer_serves_the_reads_and_both_answer_the_same_bytes(board, postgres_url):
    apps, post_id = board
    paths = [p.format(id=post_id) for p in (*READS, "/api/v1/stats/categories")]
    orm, sql = (django_reads(postgres_url, layer, paths) for layer in ("orm", "sql"))
    for path in paths:
        assert orm[path][0] == sql[path][0] == 200, (path, orm[path], sql[path])
        assert orm[path][2] > 0 and sql[path][2] == 0, (path, orm[path][2], sql[path][2])
        assert orm[path][1] == sql[path][1], path
    assert orm[paths[0]][1].encode() == orm_statements(apps["orm"], paths[0])[0]  # and Flask's bytes
    assert json.loads(sql[paths[1]][1])["comments"][0]["body"] == "A comment on the layers."
