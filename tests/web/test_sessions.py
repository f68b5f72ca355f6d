"""Forum sessions are rows of user_sessions: logout and password changes end them.

A copied session cookie stops working after logout; a password change ends
every other session (the current one stays) and every older API token, on
every backend.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from finboard.core.models import UserSession, utcnow
from finboard.extensions import db
from tests.conftest import TEST_PASSWORD
from tests.helpers import logged_in_as

NEW_PASSWORD = "a-brand-new-pass"


def _copy_of(client, app):
    """Another browser holding a copy of ``client``'s session cookie."""
    cookie = client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie(cookie.key, cookie.value)
    return thief


def _sessions(app) -> list[UserSession]:
    with app.app_context():
        rows = list(db.session.scalars(select(UserSession).order_by(UserSession.id)))
        db.session.expunge_all()
        return rows


def _change_password(client, auth):
    data = {
        "current_password": TEST_PASSWORD,
        "new_password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD,
        "csrf_token": auth.csrf("/auth/password"),
    }
    return client.post("/auth/password", data=data)


def _browser(app, name: str = "alice", password: str = TEST_PASSWORD):
    from tests.conftest import AuthActions

    browser = app.test_client()
    assert AuthActions(browser).login(name, password).status_code == 302
    return browser


def test_login_stores_only_a_hash_of_the_session_token(app, client, auth, make):
    alice = make.user("alice")
    auth.login()
    [row] = _sessions(app)
    assert row.user_id == alice and row.revoked_at is None and len(row.token_hash) == 64
    with client.session_transaction() as session:
        user_id, version, token = session["_user_id"].split(":")
    assert (int(user_id), int(version)) == (alice, 0) and token and token not in row.token_hash
    assert row.user_agent  # the test client's


def test_a_copied_cookie_is_rejected_after_logout(app, client, auth, make):
    make.user("alice")
    auth.login()
    thief = _copy_of(client, app)
    assert logged_in_as(thief) == "alice"
    assert auth.logout().status_code == 302
    assert logged_in_as(client) is None
    assert logged_in_as(thief) is None  # the row is revoked: the copy signs nobody in
    [row] = _sessions(app)
    assert row.revoked_at is not None


def test_a_session_without_a_row_or_in_the_old_format_is_rejected(app, client, make):
    alice = make.user("alice")
    for value in (f"{alice}:0", f"{alice}:0:made-up-token", f"{alice}:0:"):
        with client.session_transaction() as session:
            session["_user_id"] = value
        assert logged_in_as(client) is None, value


def test_a_password_change_ends_the_other_sessions_and_keeps_this_one(app, client, auth, make):
    make.user("alice")
    make.user("bob")
    auth.login()
    thief = _copy_of(client, app)  # a copy of *this* session keeps working: it is this session
    other = _browser(app)
    bobs = _browser(app, "bob")
    assert logged_in_as(other) == "alice"
    assert _change_password(client, auth).status_code == 302
    assert logged_in_as(client) == "alice"
    assert logged_in_as(other) is None
    assert logged_in_as(bobs) == "bob"  # other users' sessions are untouched
    assert logged_in_as(thief) is None  # it still carries the old token version
    revoked = [row.revoked_at is not None for row in _sessions(app)]
    assert revoked == [False, True, False]  # this one, alice's other, bob's
    # Logging in again with the new password starts a fresh session.
    assert logged_in_as(_browser(app, "alice", NEW_PASSWORD)) == "alice"


def test_last_seen_is_written_at_most_once_a_minute(app, client, auth, make):
    make.user("alice")
    auth.login()

    def last_seen():
        return _sessions(app)[0].last_seen_at

    long_ago = utcnow() - timedelta(minutes=5)
    with app.app_context():
        db.session.execute(update(UserSession).values(last_seen_at=long_ago))
        db.session.commit()
    assert logged_in_as(client) == "alice"
    touched = last_seen()
    assert touched > long_ago + timedelta(minutes=4)
    recently = utcnow() - timedelta(seconds=30)
    with app.app_context():
        db.session.execute(update(UserSession).values(last_seen_at=recently))
        db.session.commit()
    assert logged_in_as(client) == "alice"
    assert last_seen() == recently  # within the minute: no write


@pytest.mark.parametrize("database_kind", ["postgres"])
def test_api_tokens_from_before_a_password_change_are_rejected_on_every_backend(app, client, auth, make, tmp_path):
    """Tokens issued by Flask, FastAPI and Django before the change: 401 on all three; new ones work."""

    import httpx
    from fastapi.testclient import TestClient

    from backends.fastapi.main import create_app
    from finboard.registry import get
    from finboard.serving import start_backend

    make.user("alice")
    settings = app.config["FINBOARD_SETTINGS"]
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    env = {
        "DATABASE_URL": url,
        "SECRET_KEY": settings.secret_key,
        "FINBOARD_ENV": "testing",
        "CACHE_ENABLED": "0",
        "REDIS_URL": "",
    }
    credentials = {"username": "alice", "password": TEST_PASSWORD}
    post = {"title": "Token check", "body": "Long $AAPL", "category": "stocks"}
    django_backend = get("django-orm")
    fastapi_settings = settings.replace(database_url=url, redis_url=None, cache_enabled=False)
    with (
        TestClient(create_app(fastapi_settings)) as fastapi,
        start_backend(django_backend, env=env, workers=1, log_dir=tmp_path, timeout=60) as django_server,
    ):
        django = httpx.Client(base_url=django_server.base_url, timeout=30)

        def token(via) -> str:
            response = via.post("/api/v1/auth/login", json=credentials)
            assert response.status_code == 200, response.text
            return response.json()["access_token"]

        def create(via, access_token: str) -> int:
            return via.post("/api/v1/posts", json=post, headers={"Authorization": f"Bearer {access_token}"}).status_code

        old = [
            client.post("/api/v1/auth/login", json=credentials).get_json()["access_token"],
            token(fastapi),
            token(django),
        ]
        auth.login()
        assert _change_password(client, auth).status_code == 302
        credentials["password"] = NEW_PASSWORD
        for via in (client, fastapi, django):
            assert [create(via, t) for t in old] == [401, 401, 401], via
        fresh = token(django)
        assert [create(via, fresh) for via in (client, fastapi, django)] == [201, 201, 201]
        django.close()
