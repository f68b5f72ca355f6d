"""Cached reads are never stale after a write: on one app, and across app instances sharing Redis."""

from __future__ import annotations

import pytest
import redis
from sqlalchemy import update

from finboard.app import create_app
from finboard.core.models import Post
from finboard.extensions import db
from tests.conftest import AuthActions
from tests.databases import TEST_REDIS_URL
from tests.helpers import post_titles, sign_in, text

SHARED_CONFIG = (
    "TESTING",
    "SECRET_KEY",
    "SQLALCHEMY_DATABASE_URI",
    "CACHE_TYPE",
    "CACHE_REDIS_URL",
    "CACHE_KEY_PREFIX",
    "RATELIMIT_STORAGE_URI",
    "RATELIMIT_STORAGE_OPTIONS",
)


@pytest.fixture
def alice(client, make):
    user = make.user("alice")
    sign_in(client, user)
    return user


def edit(client, auth, post_id, **fields):
    data = {"title": "Edited title $TSLA", "body": "Edited body", "category": "stocks", **fields}
    return client.post(f"/posts/{post_id}/edit", data={**data, "csrf_token": auth.csrf("/")})


def test_reads_are_cached_until_a_write(client, auth, make, alice):
    """The cache is really used: a change made behind the app's back stays hidden until a write."""
    post = make.post(alice, title="Original title")
    other = make.post(alice, title="Other post")
    assert "Original title" in text(client.get("/"))
    assert "Original title" in text(client.get(f"/posts/{post}"))
    with make.app.app_context():  # not through the app: nothing is invalidated
        db.session.execute(update(Post).where(Post.id == post).values(title="Changed behind the cache"))
        db.session.commit()
    assert "Original title" in text(client.get("/"))
    assert "Original title" in text(client.get(f"/posts/{post}"))
    # Any write through the app retires every cached read.
    response = client.post(f"/posts/{other}/comments", data={"body": "A write", "csrf_token": auth.csrf("/")})
    assert response.status_code == 302
    assert "Changed behind the cache" in text(client.get("/"))
    assert "Changed behind the cache" in text(client.get(f"/posts/{post}"))


def test_new_post_appears_at_once_everywhere(client, auth, make, alice):
    make.post(alice, title="First post $AAPL")
    pages = ["/", "/c/crypto", "/u/alice", "/search?cashtag=ETH", "/search?q=staking"]
    for path in pages:  # warm every page
        assert "Staking yields" not in text(client.get(path))
    data = {"title": "Staking yields $ETH", "body": "Staking rewards.", "category": "crypto"}
    response = client.post("/posts/new", data={**data, "csrf_token": auth.csrf("/")})
    assert response.status_code == 302
    for path in pages:
        assert "Staking yields $ETH" in post_titles(client.get(path)), path
    assert "2 posts" in text(client.get("/"))


def test_edit_appears_at_once(client, auth, make, alice):
    post = make.post(alice, title="Before the edit $AAPL")
    for path in ("/", f"/posts/{post}", "/search?cashtag=AAPL", "/c/stocks"):
        assert "Before the edit" in text(client.get(path))
    assert edit(client, auth, post).status_code == 302
    detail = text(client.get(f"/posts/{post}"))
    assert "Edited title $TSLA" in detail and "Edited body" in detail and "Before the edit" not in detail
    assert post_titles(client.get("/")) == ["Edited title $TSLA"]
    assert post_titles(client.get("/search?cashtag=AAPL")) == []
    assert post_titles(client.get("/search?cashtag=TSLA")) == ["Edited title $TSLA"]


def test_comments_appear_and_disappear_at_once(client, auth, make, alice):
    post = make.post(alice, title="Discuss $KO")
    assert "0 comments" in text(client.get(f"/posts/{post}"))
    assert "0 comments" in text(client.get("/"))
    response = client.post(f"/posts/{post}/comments", data={"body": "Fresh comment", "csrf_token": auth.csrf("/")})
    comment_id = int(response.headers["Location"].rsplit("#comment-", 1)[1])
    detail = text(client.get(f"/posts/{post}"))
    assert "Fresh comment" in detail and "1 comment" in detail
    assert "1 comment" in text(client.get("/"))
    client.post(f"/comments/{comment_id}/delete", data={"csrf_token": auth.csrf("/"), "confirm": "yes"})
    detail = text(client.get(f"/posts/{post}"))
    assert "Fresh comment" not in detail and "0 comments" in detail
    assert "0 comments" in text(client.get("/"))


def test_deleted_post_disappears_at_once(client, auth, make, alice):
    post = make.post(alice, title="Short-lived $GME")
    assert post_titles(client.get("/")) == ["Short-lived $GME"]
    assert client.get(f"/posts/{post}").status_code == 200
    client.post(f"/posts/{post}/delete", data={"csrf_token": auth.csrf("/"), "confirm": "yes"})
    assert post_titles(client.get("/")) == []
    assert client.get(f"/posts/{post}").status_code == 404
    assert post_titles(client.get("/search?cashtag=GME")) == []


# --- two app instances sharing Redis (another gunicorn worker, another machine) ---


@pytest.fixture
def second_app(app):
    other = create_app({key: app.config[key] for key in SHARED_CONFIG if key in app.config})
    yield other
    with other.app_context():
        db.session.remove()
        db.engines[None].dispose()


@pytest.mark.parametrize("database_kind", ["postgres"], indirect=True)
def test_writes_on_one_instance_are_seen_at_once_by_another(app, second_app, client, auth, make, alice):
    assert app.config["CACHE_TYPE"] == second_app.config["CACHE_TYPE"] == "RedisCache"
    assert second_app is not app
    post = make.post(alice, title="Shared post $NVDA")
    other_client = second_app.test_client()
    other_auth = AuthActions(other_client)
    sign_in(other_client, alice)
    # Both instances have the pages cached.
    for c in (client, other_client):
        assert post_titles(c.get("/")) == ["Shared post $NVDA"]
        assert "0 comments" in text(c.get(f"/posts/{post}"))
    # The pages cache their own row documents (finboard.rawsql.page_rows), beside the API's JSON.
    keys = redis.Redis.from_url(TEST_REDIS_URL).keys(f"{app.config['CACHE_KEY_PREFIX']}read:page-posts:*")
    assert keys, "listing reads should be cached in Redis"
    with app.app_context():  # behind the app's back: instance A keeps serving its cached page
        db.session.execute(update(Post).where(Post.id == post).values(title="Renamed in the database"))
        db.session.commit()
    assert post_titles(client.get("/")) == ["Shared post $NVDA"]

    # A write on the second instance: the first shows it on its very next request.
    data = {"title": "Edited on instance B $NVDA", "body": "B was here", "category": "stocks"}
    response = other_client.post(f"/posts/{post}/edit", data={**data, "csrf_token": other_auth.csrf("/")})
    assert response.status_code == 302
    data = {"body": "Comment via B", "csrf_token": other_auth.csrf("/")}
    response = other_client.post(f"/posts/{post}/comments", data=data)
    assert response.status_code == 302
    assert post_titles(client.get("/")) == ["Edited on instance B $NVDA"]
    detail = text(client.get(f"/posts/{post}"))
    assert "B was here" in detail and "Comment via B" in detail and "1 comment" in detail

    # And the other way round.
    data = {"title": "Written on instance A", "body": "A", "category": "macro", "csrf_token": auth.csrf("/")}
    assert client.post("/posts/new", data=data).status_code == 302
    assert post_titles(other_client.get("/")) == ["Written on instance A", "Edited on instance B $NVDA"]
    assert post_titles(other_client.get("/c/macro")) == ["Written on instance A"]
