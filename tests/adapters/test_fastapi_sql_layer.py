"""FastAPI with DATA_LAYER=sql: its reads on the async face of the SQL layer, the same bytes as the ORM.

Through FastAPI's TestClient on one seeded PostgreSQL database: every read the
data layer changes answers byte-identically with ``orm`` (the default) and
``sql``, uncached and through the Redis generation cache (a write retires the
cached reads on both); SQLite with DATA_LAYER=sql is refused at startup with a
message naming DATA_LAYER.
"""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from finboard.core.generation_cache import GenerationCache
from finboard.core.models import Post, User
from finboard.core.security import create_access_token
from finboard.core.seeding import seed
from finboard.settings import ConfigError
from tests.databases import TEST_REDIS_URL, postgres_database, require_redis

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`"),
]

SECRET = "fastapi-sql-layer-test-secret-0123456789"
P = "/api/v1"


@pytest.fixture(scope="module")
def seeded():
    with postgres_database("finboard_fastapi_sql") as url:
        engine = create_engine(url)
        with Session(engine) as session:
            seed(session, users=6, posts=40, comments=90, seed=5)
            session.commit()
            post = session.scalars(select(Post).where(Post.comment_count > 2).order_by(Post.id)).first()
            author = session.get(User, post.author_id)
            facts = {"url": url, "post": post.id, "author": author.username, "author_id": author.id}
            facts["ticker"] = post.cashtag_list[0] if post.cashtag_list else "AAPL"
        engine.dispose()
        yield facts


def _client(monkeypatch, url: str, layer: str, cache: bool):
    from fastapi.testclient import TestClient

    from backends.fastapi.main import create_app

    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SECRET_KEY", SECRET)
    monkeypatch.setenv("DATA_LAYER", layer)
    monkeypatch.setenv("CACHE_ENABLED", "1" if cache else "0")
    if cache:
        monkeypatch.setenv("REDIS_URL", TEST_REDIS_URL)
    else:
        monkeypatch.delenv("REDIS_URL", raising=False)
    return TestClient(create_app())


def read_paths(facts: dict) -> list[str]:
    post = facts["post"]
    return [
        f"{P}/posts",
        f"{P}/posts?per_page=100&sort=comments",
        f"{P}/posts?page=2&per_page=7&sort=old",
        f"{P}/posts?author={facts['author'].upper()}",
        f"{P}/posts?cashtag={facts['ticker']}&category=stocks",
        f"{P}/posts?search=market&since=2000-01-01T00:00:00Z",
        f"{P}/posts?per_page=0",
        f"{P}/posts/{post}",
        f"{P}/posts/{post}/comments?per_page=2&page=2",
        f"{P}/posts/99999999",
        f"{P}/posts/99999999/comments",
        f"{P}/posts/abc",
        f"{P}/categories",
        f"{P}/stats/categories",
    ]


def _answers(client, paths: list[str], cache: bool) -> dict:
    """Each path's response; with the cache on, built by this client's own layer (the generation is
    bumped first, so nothing another client cached is served) and then served again from the cache."""
    if cache:
        generations = GenerationCache.for_redis(TEST_REDIS_URL)
        generations.invalidate()
        generations.close()
    answers = {path: client.get(path) for path in paths}
    if cache:
        for path, first in answers.items():
            assert client.get(path).content == first.content, path
    return answers


@pytest.mark.parametrize("cache", [False, True], ids=["uncached", "cached"])
def test_sql_layer_reads_are_byte_identical_to_the_orm(monkeypatch, seeded, cache):
    if cache:
        require_redis()
    paths = read_paths(seeded)
    with _client(monkeypatch, seeded["url"], "orm", cache) as orm:
        expected = _answers(orm, paths, cache)
    with _client(monkeypatch, seeded["url"], "sql", cache) as sql:
        assert type(sql.app.state.resources.reads.source).__name__ == "SqlSource"
        answers = _answers(sql, paths, cache)
    for path, reference in expected.items():
        answer = answers[path]
        assert (answer.status_code, answer.content) == (reference.status_code, reference.content), path
        assert answer.headers["content-type"] == reference.headers["content-type"], path
    statuses = {path: response.status_code for path, response in expected.items()}
    assert statuses[f"{P}/posts/{seeded['post']}"] == 200 and statuses[f"{P}/posts/99999999"] == 404
    assert expected[f"{P}/posts/{seeded['post']}"].json()["id"] == seeded["post"]


def test_a_write_retires_the_cached_sql_reads(monkeypatch, seeded):
    """Writes stay on async SQLAlchemy and bump the generation the SQL layer's cached reads are under."""
    require_redis()
    token = create_access_token(SECRET, seeded["author_id"], 0, 300)
    path = f"{P}/posts/{seeded['post']}/comments?per_page=100"
    with _client(monkeypatch, seeded["url"], "sql", cache=True) as sql:
        before = sql.get(path).json()
        created = sql.post(
            f"{P}/posts/{seeded['post']}/comments",
            json={"body": "A comment the cached page must show"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert created.status_code == 201, created.text
        after = sql.get(path).json()
    assert after["total"] == before["total"] + 1
    assert after["items"][-1]["id"] == created.json()["id"]


def test_sqlite_with_the_sql_layer_is_refused_at_startup(monkeypatch, tmp_path):
    with pytest.raises(ConfigError, match="DATA_LAYER=sql") as refused:
        with _client(monkeypatch, f"sqlite:///{tmp_path / 'db.sqlite3'}", "sql", cache=False):
            pass
    assert "needs PostgreSQL" in str(refused.value) and "DATABASE_URL" in str(refused.value)
