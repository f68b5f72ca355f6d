"""The raw ceilings (backends/raw: ``raw``, WSGI on the sync face of the SQL layer,
and ``asgi-raw``, ASGI on its async face) against the Flask reference, each under
its production server on one fresh migrated and seeded PostgreSQL database.

Raw is the benchmark's uncached ceiling, so it must answer the reads exactly like
Flask does — same status, same JSON bytes — with the same SQL shape (statements
counted through the conformance suite's proxy). It is read-only: the contract's
writes answer 405 in the shared error shape. And it stays framework-free.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from finboard.contract.errors import http_error
from finboard.core import content_writes, moderation_transitions
from finboard.core.models import Comment, Post, User
from finboard.core.seeding import seed
from finboard.registry import ASGI_RAW, BUILTIN
from finboard.registry import FLASK_ORM as FLASK
from finboard.registry import WSGI_RAW as RAW
from finboard.serving import start_backend
from tests.conformance.cases import READ_CASES, STATEMENT_BUDGET, UNDOCUMENTED_CASES
from tests.conformance.pgproxy import CountingProxy
from tests.databases import ROOT, postgres_database

pytestmark = pytest.mark.postgres

P = "/api/v1"
SEED_ANCHOR = datetime(2024, 1, 1, tzinfo=UTC)
SERVER_ENV = {"SECRET_KEY": "raw-backend-test-secret-0123456789", "CACHE_ENABLED": "0", "REDIS_URL": ""}
FRAMEWORKS = ("flask", "django", "fastapi", "werkzeug", "starlette")

# A representative subset of the conformance reads: every endpoint, every filter,
# validation errors, path ids that are not ids, hostile and long strings.
SUBSET = {
    "list-default",
    "list-page-2",
    "list-past-end",
    "list-per-page-100",
    "list-per-page-0",
    "list-page-not-int",
    "list-page-huge",
    "list-repeated-param",
    "list-unknown-param",
    "sort-old",
    "sort-comments",
    "sort-bogus",
    "category",
    "category-bad-slug",
    "author",
    "author-too-long",
    "cashtag-lower",
    "cashtag-dollar",
    "cashtag-class",
    "cashtag-bad",
    "since",
    "until",
    "since-until-offset",
    "since-bad",
    "since-overflow",
    "search",
    "search-phrase",
    "search-exclude",
    "search-all-filters",
    "search-sql-injection",
    "search-unicode",
    "search-10kb",
    "search-nul",
    "author-nul",
    "author-injection",
    "detail",
    "detail-missing",
    "detail-not-int",
    "detail-overflow",
    "detail-unicode-digits",
    "comments",
    "comments-page",
    "comments-bad-page",
    "comments-missing-post",
    "categories",
    "stats",
    "health",
}
EXTRA_READS = [
    ("GET", f"{P}/posts?search=%20%20&author=&cashtag=&category="),  # blank filters are no filters
    ("GET", f"{P}/posts?search=%FF%C3"),  # percent escapes that are not UTF-8
    ("GET", f"{P}/posts?since=2023-05-01T12:00:00.5Z&per_page=100"),
    ("GET", f"{P}/posts?cashtag=%24%24AAPL"),
    ("GET", f"{P}/posts/00000000001"),
    ("GET", f"{P}/posts/1/comments?per_page=3&page=2&page=9"),
    ("GET", f"{P}/posts/abc/comments?per_page=0"),  # the id is checked first
    ("GET", f"{P}/openapi.json"),
    ("GET", f"{P}/posts/"),
    ("GET", f"{P}/posts//comments"),
    ("GET", f"{P}/auth/login"),
    ("PUT", f"{P}/posts/abc"),
    ("DELETE", f"{P}/posts/1/comments"),
    ("HEAD", f"{P}/posts?per_page=3"),
    ("HEAD", f"{P}/posts/99999"),
    ("OPTIONS", f"{P}/posts"),
    ("OPTIONS", f"{P}/nope"),
]
WRITES = [
    ("POST", f"{P}/posts", {"title": "A title", "body": "A body", "category": "stocks"}),
    ("PATCH", f"{P}/posts/1", {"title": "Changed"}),
    ("DELETE", f"{P}/posts/1", None),
    ("POST", f"{P}/posts/1/comments", {"body": "A comment"}),
    ("POST", f"{P}/auth/register", {"username": "raw_user", "email": "raw@example.com", "password": "password-123"}),
    ("POST", f"{P}/auth/login", {"username": "raw_user", "password": "password-123"}),
]


@pytest.fixture(scope="module")
def database_url():
    with postgres_database("finboard_raw") as url:
        engine = create_engine(url)
        with Session(engine) as session:
            seed(session, users=12, posts=90, comments=240, seed=7, anchor=SEED_ANCHOR)
            session.commit()
        with engine.connect() as conn:
            author = conn.execute(
                text("SELECT u.username FROM posts p JOIN users u ON u.id = p.author_id WHERE p.id = 1")
            ).scalar_one()
        engine.dispose()
        yield url, author


@pytest.fixture(scope="module")
def flask_server(database_url, tmp_path_factory):
    url, _author = database_url
    server = start_backend(
        FLASK, env={**SERVER_ENV, "DATABASE_URL": url}, log_dir=tmp_path_factory.mktemp("flask-logs"), timeout=60
    )
    try:
        with httpx.Client(base_url=server.base_url, timeout=30) as client:
            yield client
    finally:
        server.stop()


@pytest.fixture(scope="module", params=[RAW, ASGI_RAW], ids=lambda backend: backend.name)
def servers(request, database_url, flask_server, tmp_path_factory):
    """Flask, and each raw ceiling under its server, connected through a statement-counting proxy."""
    url, _author = database_url
    proxy = CountingProxy().start()
    proxied = url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
    raw = None
    try:
        log_dir = tmp_path_factory.mktemp(f"{request.param.name}-logs")
        raw = start_backend(request.param, env={**SERVER_ENV, "DATABASE_URL": proxied}, log_dir=log_dir, timeout=60)
        with httpx.Client(base_url=raw.base_url, timeout=30) as raw_client:
            yield flask_server, raw_client, proxy
    finally:
        if raw is not None:
            raw.stop()
        proxy.stop()


def _format(path: str, author: str) -> str:
    return path.replace("{AUTHOR}", author.upper()).replace("{author}", author.lower())


def _assert_same(flask: httpx.Response, raw: httpx.Response, label: str) -> None:
    assert (raw.status_code, raw.content) == (flask.status_code, flask.content), label
    if flask.content:
        assert raw.headers["content-type"] == flask.headers["content-type"] == "application/json", label
    assert raw.headers.get("content-length") == flask.headers.get("content-length"), label


def test_registered_as_read_only_builtins():
    assert RAW.read_only and ASGI_RAW.read_only and not FLASK.read_only
    assert RAW in BUILTIN and ASGI_RAW in BUILTIN
    assert RAW.argv("127.0.0.1", 8000, 2)[3:4] == ["backends.raw.wsgi:application"]
    argv = ASGI_RAW.argv("127.0.0.1", 8000, 2)
    assert argv[3] == "backends.raw.asgi:application"
    assert argv[argv.index("--worker-class") + 1] == "backends.asgi_worker.TunedUvicornWorker"


@pytest.mark.parametrize(
    ("case", "method", "path", "status"),
    [(c[0], c[1], c[2], c[4]) for c in READ_CASES if c[0] in SUBSET],
    ids=[c[0] for c in READ_CASES if c[0] in SUBSET],
)
def test_reads_are_byte_identical_to_flask(servers, database_url, case, method, path, status):
    flask, raw, _proxy = servers
    path = _format(path, database_url[1])
    expected, answer = flask.request(method, path), raw.request(method, path)
    assert expected.status_code == status, expected.text[:300]
    _assert_same(expected, answer, case)


@pytest.mark.parametrize(("method", "path"), EXTRA_READS + [(c[1], c[2]) for c in UNDOCUMENTED_CASES])
def test_edges_and_unrouted_requests_match_flask(servers, method, path):
    flask, raw, _proxy = servers
    _assert_same(flask.request(method, path), raw.request(method, path), f"{method} {path}")


@pytest.mark.parametrize(("method", "path", "payload"), WRITES, ids=[f"{m} {p}" for m, p, _ in WRITES])
def test_writes_answer_405(servers, method, path, payload):
    _flask, raw, _proxy = servers
    response = raw.request(method, path, json=payload, headers={"Authorization": "Bearer not-a-token"})
    assert response.status_code == 405
    assert response.content == http_error(405).json().encode()
    assert response.headers["content-type"] == "application/json"
    assert "POST" not in response.headers["allow"] and "OPTIONS" in response.headers["allow"]


def test_writes_leave_the_data_alone(servers):
    _flask, raw, _proxy = servers
    before = raw.get(f"{P}/posts?per_page=100").content
    for method, path, payload in WRITES:
        raw.request(method, path, json=payload)
    assert raw.get(f"{P}/posts?per_page=100").content == before


@pytest.mark.parametrize(("case", "path", "budget"), STATEMENT_BUDGET, ids=[c[0] for c in STATEMENT_BUDGET])
def test_sql_statements_per_request(servers, database_url, case, path, budget):
    _flask, raw, proxy = servers
    path = _format(path, database_url[1])
    raw.get(path)
    proxy.counter.reset()
    response = raw.get(path)
    assert response.status_code == 200, response.text[:300]
    assert proxy.counter.count == budget, proxy.counter.statements


def _import_app(database_url: str, module: str = "backends.raw.wsgi") -> subprocess.CompletedProcess:
    script = f"import json, sys\nimport {module}\nprint(json.dumps([m for m in {FRAMEWORKS!r} if m in sys.modules]))\n"
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": database_url, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )


RAW_MODULES = ("backends.raw.wsgi", "backends.raw.asgi")


@pytest.mark.parametrize("module", RAW_MODULES)
def test_importing_the_app_imports_no_framework(module):
    # A database that does not exist: importing must not connect (the pool is per worker, lazy).
    result = _import_app("postgresql://root@127.0.0.1:1/nowhere", module)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


@pytest.mark.parametrize("module", RAW_MODULES)
def test_sqlite_is_refused_with_a_clear_error(tmp_path, monkeypatch, module):
    """Importing works whatever the URL (the registry checks imports); building the app refuses SQLite."""
    assert _import_app(f"sqlite:///{tmp_path / 'db.sqlite3'}", module).returncode == 0
    from finboard.settings import ConfigError

    create_app = __import__(module, fromlist=["create_app"]).create_app
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite3'}")
    with pytest.raises(ConfigError, match="raw backend serves PostgreSQL only"):
        create_app()


def test_asgi_lifespan_refuses_sqlite_so_the_worker_does_not_boot(tmp_path, monkeypatch):
    from backends.raw.asgi import _Application

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite3'}")
    messages = iter([{"type": "lifespan.startup"}])
    sent = []

    async def receive():
        return next(messages)

    async def send(message):
        sent.append(message)

    asyncio.run(_Application()({"type": "lifespan"}, receive, send))
    assert [m["type"] for m in sent] == ["lifespan.startup.failed"]
    assert "PostgreSQL only" in sent[0]["message"] and "DATABASE_URL" in sent[0]["message"]


DOWN_SETTINGS = {"DATABASE_URL": "postgresql://root@127.0.0.1:1/nowhere", "PG_POOL_TIMEOUT": "0.5"}
DOWN_PATHS = (f"{P}/posts", f"{P}/posts/1", f"{P}/posts/1/comments", f"{P}/stats/categories", f"{P}/healthz")


def _assert_down_answers(call) -> None:
    """``call(method, path) -> (status, body)`` on an app whose database is unreachable."""
    for path in DOWN_PATHS:
        assert call("GET", path) == (503, http_error(503).json().encode()), path
    assert call("GET", f"{P}/openapi.json")[0] == 200
    assert call("GET", f"{P}/posts/abc") == (404, http_error(404).json().encode())
    assert call("POST", f"{P}/posts") == (405, http_error(405).json().encode())


def test_database_down_is_a_503_in_the_error_shape():
    """In process, on a port nobody listens on: reads wait PG_POOL_TIMEOUT, then 503; the rest needs no database."""
    from backends.raw.wsgi import RawWsgiApp
    from finboard.rawsql.pool import Database
    from finboard.settings import load_settings

    app = RawWsgiApp(Database.from_settings(load_settings(DOWN_SETTINGS, require_secret=False)))

    def call(method: str, path: str) -> tuple[int, bytes]:
        answer = {}
        environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": ""}
        body = b"".join(app(environ, lambda s, h: answer.update(s=s)))
        return int(answer["s"].split()[0]), body

    try:
        _assert_down_answers(call)
    finally:
        if app.db._pool is not None:
            app.db._pool.close(timeout=1)


def test_asgi_database_down_is_a_503_in_the_error_shape():
    """The same on the ASGI ceiling and its async pool (opened by the first request, in this loop)."""
    from backends.raw.asgi import RawAsgiApp
    from finboard.rawsql.async_pool import AsyncDatabase
    from finboard.settings import load_settings

    app = RawAsgiApp(AsyncDatabase.from_settings(load_settings(DOWN_SETTINGS, require_secret=False)))
    loop = asyncio.new_event_loop()

    def call(method: str, path: str) -> tuple[int, bytes]:
        sent = []

        async def send(message):
            sent.append(message)

        loop.run_until_complete(app({"type": "http", "method": method, "path": path, "query_string": b""}, None, send))
        return sent[0]["status"], sent[1]["body"]

    try:
        _assert_down_answers(call)
    finally:
        loop.run_until_complete(app.db.close(timeout=1))
        loop.close()


def test_moderation_and_market_columns_read_like_flask(servers, database_url):
    """Hidden posts and comments, pins, locks, sentiment, positions and edits (made by the
    shared use cases' rules): raw reads them byte-identical to Flask, then all is undone."""
    flask, raw, _proxy = servers
    engine = create_engine(database_url[0])
    session = Session(engine)
    chosen = select(Post).where(Post.comment_count > 1, Post.cashtags != "").order_by(Post.id).offset(10).limit(3)
    hidden, flagged, edited = session.scalars(chosen).all()
    comment = session.scalars(select(Comment).where(Comment.post_id == flagged.id).order_by(Comment.id)).first()
    author, editor = session.get(User, hidden.author_id), session.get(User, edited.author_id)
    ticker = edited.cashtag_list[0]
    edits_before = edited.edit_count  # the edit stays: each raw ceiling's run adds one
    try:
        moderation_transitions.hide_post(session, hidden)
        moderation_transitions.hide_comment(session, comment)
        moderation_transitions.set_post_flag(session, flagged, "pinned", True)
        moderation_transitions.set_post_flag(session, flagged, "locked", True)
        edit = {"title": f"{edited.title} (edited)", "sentiment": "bearish", "positions": {ticker: "long"}}
        content_writes.update_post(session, edited, editor=editor, **edit)
        session.commit()

        paths = [
            f"{P}/posts/{hidden.id}",
            f"{P}/posts/{hidden.id}/comments",
            f"{P}/posts/{flagged.id}",
            f"{P}/posts/{flagged.id}/comments?per_page=100",
            f"{P}/posts/{edited.id}",
            f"{P}/posts?per_page=100",
            f"{P}/posts?per_page=100&sort=comments",
            f"{P}/posts?cashtag={hidden.cashtag_list[0]}&per_page=100",
            f"{P}/posts?author={author.username}",
            f"{P}/stats/categories",
        ]
        answers = {path: (flask.get(path), raw.get(path)) for path in paths}
        for path, (expected, answer) in answers.items():
            _assert_same(expected, answer, path)
        assert answers[paths[0]][1].status_code == 404
        assert hidden.id not in [p["id"] for p in answers[paths[5]][1].json()["items"]]
        shown = answers[paths[2]][1].json()
        assert (shown["pinned"], shown["locked"], shown["comment_count"]) == (True, True, flagged.comment_count)
        assert comment.id not in [c["id"] for c in answers[paths[3]][1].json()["items"]]
        changed = answers[paths[4]][1].json()
        assert (changed["sentiment"], changed["edit_count"]) == ("bearish", edits_before + 1)
        assert changed["positions"] == [{"ticker": ticker, "position": "long"}]
    finally:
        session.rollback()
        if hidden.hidden_at is not None:
            moderation_transitions.restore_post(session, hidden)
        if comment.hidden_at is not None:
            moderation_transitions.restore_comment(session, comment)
        flagged.pinned = flagged.locked = False
        session.commit()
        session.close()
        engine.dispose()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", f"{P}/users/someone"),
        ("GET", f"{P}/posts/1/revisions"),
        ("GET", f"{P}/cashtags/AAPL"),
        ("GET", f"{P}/categories/stocks/pinned"),
        ("GET", f"{P}/notifications"),
        ("PUT", f"{P}/posts/1/watch"),
        ("POST", f"{P}/moderation/posts/1"),
    ],
)
def test_community_operations_are_not_served(servers, method, path):
    """Raw is the ceiling of the core reads: the community and market paths are the shared 404."""
    _flask, raw, _proxy = servers
    response = raw.request(method, path)
    assert (response.status_code, response.content) == (404, http_error(404).json().encode())
