"""Fixtures in the flaskr style: ``app``, ``client``, ``auth``, ``runner``, ``make``.

Every forum test runs twice: on SQLite with the in-process cache (the
embedded default) and on PostgreSQL with Redis (production). Each test run
creates its own databases and drops them at the end; each test starts with
empty tables (categories stay, as the migration seeds them).
"""

from __future__ import annotations

import uuid

import pytest
import redis
from sqlalchemy import func, select

from finboard.app import create_app
from finboard.core import account_queries, content_writes, mail_jobs
from finboard.core.models import Category, Comment, Post, User
from finboard.core.security import hash_password
from finboard.extensions import db
from finboard.ratelimits import limiter
from tests.databases import TEST_REDIS_URL, empty_tables, postgres_database, require_redis, sqlite_database

TEST_PASSWORD = "correct-horse-9"
_PASSWORD_HASH = hash_password(TEST_PASSWORD)


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory):
    with sqlite_database(tmp_path_factory.mktemp("sqlite")) as url:
        yield url


# `python3 -m pytest -n 2` (pytest-xdist, `--dist loadgroup` in pyproject.toml) spreads the
# suite over two processes. Tests that share a fixed resource of the machine run in one
# group, one after another, on the same process: the conformance suite (Redis databases
# 1 and up, its session-long servers), flask bench (Redis database 15, load on both cores)
# and the browser journeys (Redis database 15, one chromium each). Everything else creates
# its own databases, key prefixes and ports, so it runs beside them.
SERIAL_FOLDERS = ("conformance", "bench")


def _shares_fixed_resources(item: pytest.Item) -> bool:
    parts = item.path.parts
    folder = parts[parts.index("tests") + 1] if "tests" in parts else ""
    browser = item.get_closest_marker("browser") is not None
    return folder in SERIAL_FOLDERS or browser or item.path.name.startswith("test_e2e_")


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups (its own hook names them)
def pytest_collection_modifyitems(config, items):
    for item in items:
        if _shares_fixed_resources(item):
            item.add_marker(pytest.mark.xdist_group("fixed-resources"))


@pytest.fixture(scope="session")
def postgres_url():
    with postgres_database() as url:
        yield url


@pytest.fixture(scope="session")
def redis_prefix():
    """A key prefix of this run's own; its keys are deleted at the end."""
    require_redis()
    prefix = f"finboard-test-{uuid.uuid4().hex[:8]}:"
    yield prefix
    client = redis.Redis.from_url(TEST_REDIS_URL)
    for key in client.scan_iter(f"*{prefix}*"):
        client.delete(key)


@pytest.fixture(params=["sqlite", "postgres"])
def database_kind(request) -> str:
    return request.param


@pytest.fixture
def app(request, database_kind, tmp_path):
    if database_kind == "postgres":
        url = request.getfixturevalue("postgres_url")
        prefix = request.getfixturevalue("redis_prefix")
        cache_config = {
            "CACHE_TYPE": "RedisCache",
            "CACHE_REDIS_URL": TEST_REDIS_URL,
            "CACHE_KEY_PREFIX": prefix,
            "RATELIMIT_STORAGE_URI": TEST_REDIS_URL,
            # limiter().reset() deletes "<key_prefix>:*": this run's counters only.
            "RATELIMIT_STORAGE_OPTIONS": {"key_prefix": prefix + "LIMITS"},
        }
    else:
        url = request.getfixturevalue("sqlite_url")
        cache_config = {"CACHE_TYPE": "SimpleCache", "RATELIMIT_STORAGE_URI": "memory://"}
    empty_tables(url)
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret-key-with-enough-entropy",
            "SQLALCHEMY_DATABASE_URI": url,
            **cache_config,
        }
    )
    # The forum's tests read notifications right after the write: jobs run after each commit,
    # in-process, on PostgreSQL too (the queue and its worker: tests/persistence/test_jobs.py and
    # tests/reliability/test_jobs_worker.py).
    # Account mail goes to this test's own outbox folder (tests/web/test_account_mail.py sends it by SMTP).
    app.config["FINBOARD_SETTINGS"] = app.config["FINBOARD_SETTINGS"].replace(
        jobs_runner="embedded", mail_outbox=str(tmp_path / "outbox")
    )
    with app.app_context():
        from finboard.extensions import cache

        cache.clear()
        limiter().reset()
    yield app
    mail_jobs.wait_idle()  # the test's mail is sent (or given up) before its database goes
    with app.app_context():
        db.session.remove()
        db.engines[None].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class Factory:
    """Builds rows through the same write functions the app uses."""

    def __init__(self, app):
        self.app = app

    def user(self, username: str = "alice", email: str | None = None, verified: bool = False) -> int:
        """A member (``verified``: who confirmed the address, so owns it)."""
        with self.app.app_context():
            user = account_queries.create_user(db.session, username, email or f"{username}@example.com", _PASSWORD_HASH)
            if verified:
                user.email_verified_at = user.created_at
            db.session.commit()
            return user.id

    def post(self, author_id: int, title="Why $AAPL still matters", body="Long **$AAPL**.", category="stocks"):
        with self.app.app_context():
            author = db.session.get(User, author_id)
            cat = db.session.scalars(select(Category).where(Category.slug == category)).one()
            post = content_writes.create_post(db.session, author, cat, title, body)
            db.session.commit()
            self._invalidate()
            return post.id

    def comment(self, post_id: int, author_id: int, body="Good point.") -> int:
        with self.app.app_context():
            comment = content_writes.create_comment(
                db.session, db.session.get(Post, post_id), db.session.get(User, author_id), body
            )
            db.session.commit()
            self._invalidate()
            return comment.id

    def _invalidate(self):
        from finboard.extensions import cache

        cache.invalidate()

    def count(self, model) -> int:
        with self.app.app_context():
            return db.session.scalar(select(func.count()).select_from(model))

    def get(self, model, ident):
        with self.app.app_context():
            row = db.session.get(model, ident)
            if row is not None:
                db.session.expunge(row)
            return row


@pytest.fixture
def make(app) -> Factory:
    return Factory(app)


class AuthActions:
    def __init__(self, client):
        self.client = client

    def csrf(self, path: str = "/auth/login") -> str:
        import re

        html = self.client.get(path).get_data(as_text=True)
        match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
            r'name="csrf_token" value="([^"]+)"', html
        )
        assert match, f"no csrf_token on {path}"
        return match.group(1)

    def login(self, username: str = "alice", password: str = TEST_PASSWORD, next_url: str | None = None):
        """Post the login form (with ``?next=next_url`` when given), as the login page would."""
        return self.client.post(
            "/auth/login",
            query_string={"next": next_url} if next_url is not None else None,
            data={"username": username, "password": password, "csrf_token": self.csrf()},
        )

    def logout(self):
        return self.client.post("/auth/logout", data={"csrf_token": self.csrf("/")})


@pytest.fixture
def auth(client) -> AuthActions:
    return AuthActions(client)


__all__ = ["Comment", "Post", "User", "TEST_PASSWORD"]
