"""The FastAPI adapter (backends/fastapi) through FastAPI's TestClient, on a fresh
migrated PostgreSQL database seeded with deterministic data.

The byte-for-byte comparison with the Flask reference is the conformance suite's
job; these tests pin the adapter's own promises: it stays framework-separate,
reads come back with their relations, errors keep the shared shape and the
reference order of checks, and tokens are the shared security module's.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from finboard.contract.errors import ApiError, http_error
from finboard.contract.limits import MAX_BODY_BYTES
from finboard.core.models import Comment, Post, User
from finboard.core.security import create_access_token
from finboard.core.seeding import DEMO_PASSWORD, seed
from tests.databases import ROOT, TEST_REDIS_URL, postgres_database, require_redis

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`"),
]

SECRET = "fastapi-adapter-test-secret-0123456789"
P = "/api/v1"
SEEDED_POSTS = 30


@pytest.fixture(scope="module")
def database_url():
    with postgres_database("finboard_fastapi") as url:
        engine = create_engine(url)
        with Session(engine) as session:
            seed(session, users=5, posts=SEEDED_POSTS, comments=60, seed=3)
            session.commit()
        engine.dispose()
        yield url


@pytest.fixture
def client(database_url, monkeypatch):
    """The app built from the environment, its lifespan running (engine created, then disposed)."""
    from fastapi.testclient import TestClient

    from backends.fastapi.main import create_app

    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("SECRET_KEY", SECRET)
    monkeypatch.setenv("CACHE_ENABLED", "0")
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("LOGIN_LIMIT_PER_ACCOUNT", "3/minute")
    with TestClient(create_app()) as test_client:
        yield test_client


@pytest.fixture
def cached_client(database_url, monkeypatch):
    """The same app with the Redis content cache on (reads cached, writes retire them)."""
    from fastapi.testclient import TestClient

    from backends.fastapi.main import create_app

    require_redis()
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("SECRET_KEY", SECRET)
    monkeypatch.setenv("CACHE_ENABLED", "1")
    monkeypatch.setenv("REDIS_URL", TEST_REDIS_URL)
    with TestClient(create_app()) as test_client:
        yield test_client


@pytest.fixture
def rows(database_url):
    """Read rows straight from the database, to check the API against."""
    engine = create_engine(database_url)
    with Session(engine) as session:
        yield session
    engine.dispose()


def bearer(user_id: int, version: int = 0) -> dict[str, str]:
    return {"Authorization": f"Bearer {create_access_token(SECRET, user_id, version, 300)}"}


def error_body(status: int, key: str, fields: dict[str, str] | None = None) -> bytes:
    return ApiError(status, key, fields).json().encode()


def test_importing_the_adapter_imports_neither_flask_nor_the_flask_app():
    code = (
        "import sys, backends.fastapi.main\n"
        "outside = [m for m in sys.modules if m.startswith('finboard.')\n"
        "           and m.split('.')[1] not in ('core', 'contract', 'settings', 'rawsql')]\n"
        "assert 'flask' not in sys.modules and not outside, outside\n"
        "print(type(backends.fastapi.main.app).__name__)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "FastAPI"


def test_list_returns_the_seeded_posts_with_author_and_category(client, rows):
    response = client.get(f"{P}/posts?per_page=100")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    page = response.json()
    assert (page["total"], page["pages"], page["page"]) == (SEEDED_POSTS, 1, 1)
    stamps = [(p["created_at"], p["id"]) for p in page["items"]]
    assert stamps == sorted(stamps, reverse=True)

    newest = rows.scalars(select(Post).order_by(Post.created_at.desc(), Post.id.desc())).first()
    first = page["items"][0]
    assert first["id"] == newest.id and first["title"] == newest.title
    assert first["author"] == {"id": newest.author_id, "username": rows.get(User, newest.author_id).username}
    assert first["category"]["id"] == newest.category_id and first["category"]["slug"]
    assert first["cashtags"] == newest.cashtag_list and first["comment_count"] == newest.comment_count

    second_page = client.get(f"{P}/posts?per_page=7&page=2&per_page=100").json()  # the first value wins
    assert [p["id"] for p in second_page["items"]] == [p["id"] for p in page["items"][7:14]]


def test_detail_embeds_the_newest_comments(client, rows):
    post = rows.scalars(select(Post).where(Post.comment_count > 1).order_by(Post.id)).first()
    detail = client.get(f"{P}/posts/{post.id}").json()
    assert detail["id"] == post.id and detail["comment_count"] == post.comment_count
    assert len(detail["comments"]) == min(post.comment_count, 20)
    stamps = [(c["created_at"], c["id"]) for c in detail["comments"]]
    assert stamps == sorted(stamps, reverse=True)
    assert all(c["post_id"] == post.id and c["author"]["username"] for c in detail["comments"])


def test_errors_have_the_shared_shape(client):
    assert client.get(f"{P}/nope").content == http_error(404).json().encode()
    assert client.get(f"{P}/posts/").status_code == 404  # no trailing-slash redirect
    wrong_method = client.put(f"{P}/posts")
    assert (wrong_method.status_code, wrong_method.content) == (405, http_error(405).json().encode())
    for bad_id in ("abc", "0", "-1", "2147483648", "%C2%B2"):
        response = client.get(f"{P}/posts/{bad_id}")
        assert (response.status_code, response.content) == (404, error_body(404, "not_found")), bad_id
    missing = client.get(f"{P}/posts/999999")
    assert (missing.status_code, missing.content) == (404, error_body(404, "post_not_found"))

    malformed = client.post(f"{P}/auth/login", content=b'{"username": ', headers={"Content-Type": "application/json"})
    assert (malformed.status_code, malformed.content) == (400, error_body(400, "invalid_json"))
    not_object = client.post(f"{P}/auth/register", json=["carol"])
    assert not_object.status_code == 422
    assert not_object.json()["error"] == {
        "code": "validation_error",
        "message": "The request body must be a JSON object.",
        "fields": {"body": "Expected a JSON object."},
    }
    invalid = client.get(f"{P}/posts?per_page=0&sort=popular").json()["error"]
    assert invalid["code"] == "validation_error" and set(invalid["fields"]) == {"per_page", "sort"}
    too_large = client.post(f"{P}/auth/register", content=b"x" * (MAX_BODY_BYTES + 1))
    assert (too_large.status_code, too_large.content) == (413, error_body(413, "too_large"))


def test_checks_run_in_the_reference_order(client, rows):
    post = rows.scalars(select(Post).order_by(Post.id)).first()
    stranger = rows.scalars(select(User.id).where(User.id != post.author_id)).first()
    path = f"{P}/posts/{post.id}"
    assert client.patch(f"{P}/posts/abc", content=b"{").status_code == 404  # the id, before auth
    assert client.patch(path, content=b"{").status_code == 401  # auth, before the body
    assert client.patch(f"{P}/posts/999999", content=b"{", headers=bearer(stranger)).status_code == 400  # the body
    assert client.patch(f"{P}/posts/999999", json={"title": "Long enough"}, headers=bearer(stranger)).status_code == 404
    forbidden = client.patch(path, json={}, headers=bearer(stranger))  # authorship, before "nothing to update"
    assert (forbidden.status_code, forbidden.content) == (403, error_body(403, "forbidden"))
    empty = client.patch(path, json={}, headers=bearer(post.author_id))
    assert (empty.status_code, empty.content) == (422, error_body(422, "empty_update"))


def test_a_token_from_the_shared_security_module_writes(client, rows):
    author = rows.scalars(select(User).order_by(User.id)).first()
    assert client.post(f"{P}/posts", json={}, headers=bearer(author.id, version=1)).status_code == 401  # revoked

    body = {"title": "  Rotation into $XLE and $XOM?  ", "body": "Energy looks cheap.", "category": "macro"}
    created = client.post(f"{P}/posts", json=body, headers=bearer(author.id))
    assert created.status_code == 201, created.text
    post = created.json()
    assert post["title"] == "Rotation into $XLE and $XOM?" and post["cashtags"] == ["XLE", "XOM"]
    assert post["author"] == {"id": author.id, "username": author.username}
    assert post["category"]["slug"] == "macro"

    comment = client.post(f"{P}/posts/{post['id']}/comments", json={"body": "Agree on $CVX"}, headers=bearer(author.id))
    assert comment.status_code == 201 and comment.json()["post_id"] == post["id"]
    detail = client.get(f"{P}/posts/{post['id']}").json()
    assert detail["comment_count"] == 1 and [c["body"] for c in detail["comments"]] == ["Agree on $CVX"]
    assert client.get(f"{P}/posts?cashtag=xle").json()["items"][0]["id"] == post["id"]

    deleted = client.delete(f"{P}/posts/{post['id']}", headers=bearer(author.id))
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert rows.get(Post, post["id"]) is None
    assert client.get(f"{P}/posts/{post['id']}/comments").status_code == 404


def test_login_issues_a_working_token_and_is_rate_limited_per_account(client, rows):
    user = rows.scalars(select(User).order_by(User.id)).first()
    login = client.post(f"{P}/auth/login", json={"username": user.email.upper(), "password": DEMO_PASSWORD})
    assert login.status_code == 200
    token = login.json()
    assert token["token_type"] == "bearer" and token["expires_in"] == 3600
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    assert client.post(f"{P}/posts", json={"title": "x"}, headers=headers).status_code == 422  # authenticated

    wrong = [
        client.post(f"{P}/auth/login", json={"username": user.username, "password": "wrong-pass"})
        for _ in range(3)  # the limit is 3 a minute per account
    ]
    # The e-mail login above counted on the same account: one bucket per user, not per spelling.
    assert [r.status_code for r in wrong] == [401, 401, 429]
    assert wrong[-1].content == http_error(429).json().encode()
    # Counted before the body is validated, keyed by the raw body's username.
    limited = client.post(f"{P}/auth/login", content=json.dumps({"username": user.username.upper()}))
    assert limited.status_code == 429


def test_head_options_and_meta_endpoints(client):
    from finboard.contract.openapi import openapi_json

    assert client.get(f"{P}/healthz").json() == {"status": "ok", "database": "ok"}
    assert client.get(f"{P}/openapi.json").content == openapi_json().encode()
    head = client.head(f"{P}/posts")
    assert head.status_code == 200 and head.headers["content-type"] == "application/json"
    options = client.options(f"{P}/posts/1")
    assert options.status_code == 200 and options.content == b""
    assert set(options.headers["allow"].split(", ")) == {"GET", "HEAD", "PATCH", "DELETE", "OPTIONS"}
    assert client.options(f"{P}/nope").status_code == 404
    categories = client.get(f"{P}/categories").json()["items"]
    stats = client.get(f"{P}/stats/categories").json()["items"]
    assert [c["slug"] for c in categories] == [s["slug"] for s in stats] and "stocks" in [c["slug"] for c in stats]
    assert sum(s["post_count"] for s in stats) == client.get(f"{P}/posts").json()["total"]


# --- the community and market routes ----------------------------------------------------


@pytest.fixture
def moderator(rows):
    """The newest seeded member, made a moderator for one test."""
    user = rows.scalars(select(User).order_by(User.id.desc())).first()
    user.role = "moderator"
    rows.commit()
    yield user
    user.role = "member"
    rows.commit()


def test_community_paths_share_methods_as_in_flask(client, rows):
    member = rows.scalars(select(User).order_by(User.id)).first()
    # GET /users/me is the profile of a member named "me"; PATCH /users/me is one's own.
    assert client.get(f"{P}/users/me").content == error_body(404, "user_not_found")
    profile = client.get(f"{P}/users/{member.username.upper()}").json()
    assert (profile["id"], profile["username"], profile["bio"]) == (member.id, member.username, "")
    assert client.patch(f"{P}/users/me", content=b"{").status_code == 401  # the token, before the body
    assert client.patch(f"{P}/users/me", content=b"{", headers=bearer(member.id)).status_code == 400
    updated = client.patch(f"{P}/users/me", json={"bio": "Patient."}, headers=bearer(member.id))
    assert (updated.status_code, updated.json()["bio"]) == (200, "Patient.")
    assert client.patch(f"{P}/users/me", json={"bio": ""}, headers=bearer(member.id)).json()["bio"] == ""
    not_allowed = http_error(405).json().encode()
    for method, path in (
        ("PATCH", f"/users/{member.username}"),
        ("DELETE", "/users/me"),
        ("PUT", "/users/me"),
        ("GET", "/posts/1/watch"),
        ("POST", "/watchlist/AAPL"),
        ("GET", "/moderation/reports/1/resolve"),
        ("DELETE", "/cashtags/AAPL"),
    ):
        response = client.request(method, f"{P}{path}", headers=bearer(member.id))
        assert (response.status_code, response.content) == (405, not_allowed), (method, path)
    allowed = {
        "/users/me": {"GET", "HEAD", "PATCH", "OPTIONS"},
        f"/users/{member.username}": {"GET", "HEAD", "OPTIONS"},
        "/posts/1/watch": {"PUT", "DELETE", "OPTIONS"},
        "/categories/stocks/watch": {"PUT", "DELETE", "OPTIONS"},
        "/watchlist/AAPL": {"PUT", "DELETE", "OPTIONS"},
    }
    for path, methods in allowed.items():
        assert set(client.options(f"{P}{path}").headers["allow"].split(", ")) == methods, path
    # Watches: PUT starts, DELETE stops, both idempotent; the id is checked before the token.
    assert client.put(f"{P}/posts/abc/watch").content == error_body(404, "not_found")
    assert client.put(f"{P}/posts/1/watch").status_code == 401
    for method, watching in (("PUT", True), ("PUT", True), ("DELETE", False), ("DELETE", False)):
        response = client.request(method, f"{P}/posts/1/watch", headers=bearer(member.id))
        assert response.json() == {"watching": watching}
    assert client.put(f"{P}/watchlist/$aapl", headers=bearer(member.id)).json() == {"tickers": ["AAPL"]}
    assert client.put(f"{P}/watchlist/not-a-ticker", headers=bearer(member.id)).status_code == 404
    assert client.delete(f"{P}/watchlist/AAPL", headers=bearer(member.id)).json() == {"tickers": []}


def test_moderation_checks_run_in_the_reference_order(client, rows, moderator):
    member = rows.scalars(select(User).where(User.role == "member").order_by(User.id)).first()
    comment = rows.scalars(select(Comment).order_by(Comment.id)).first()
    for bad_id in ("abc", "0", "2147483648"):
        for path in (f"/moderation/posts/{bad_id}", f"/moderation/comments/{bad_id}"):
            assert client.post(f"{P}{path}", content=b"{").content == error_body(404, "not_found"), path
        assert client.post(f"{P}/moderation/reports/{bad_id}/resolve", content=b"{").status_code == 404
    path = f"{P}/moderation/comments/{comment.id}"
    assert client.post(path, content=b"{").status_code == 401
    assert client.post(path, content=b"{", headers=bearer(member.id)).status_code == 400
    assert client.post(path, json={"action": "pin", "reason": "why"}, headers=bearer(member.id)).status_code == 422
    forbidden = client.post(path, json={"action": "hide", "reason": "Off topic"}, headers=bearer(member.id))
    assert (forbidden.status_code, forbidden.content) == (403, error_body(403, "moderators_only"))
    assert client.get(f"{P}/moderation/reports?status=bad", headers=bearer(member.id)).status_code == 422
    assert client.get(f"{P}/moderation/reports", headers=bearer(member.id)).status_code == 403
    missing = client.post(f"{P}/moderation/reports/999999/resolve", json={}, headers=bearer(moderator.id))
    assert missing.content == error_body(404, "report_not_found")
    assert client.get(f"{P}/moderation/reports", headers=bearer(moderator.id)).json()["total"] == 0


def test_moderating_posts_and_comments_retires_the_cached_reads(cached_client, rows, moderator):
    client = cached_client
    post = rows.scalars(select(Post).where(Post.comment_count > 1).order_by(Post.id)).first()
    first_comment = rows.scalars(select(Comment.id).where(Comment.post_id == post.id).order_by(Comment.id)).first()
    detail, listing = f"{P}/posts/{post.id}", f"{P}/posts?per_page=100"
    assert client.get(detail).status_code == 200 and post.id in [p["id"] for p in client.get(listing).json()["items"]]
    before = client.get(f"{P}/posts/{post.id}/comments").json()

    def moderate(kind: str, ident: int, action: str) -> dict:
        decision = {"action": action, "reason": "Checking"}
        response = client.post(f"{P}/moderation/{kind}/{ident}", json=decision, headers=bearer(moderator.id))
        assert response.status_code == 200, response.text
        return response.json()

    hidden = moderate("comments", first_comment, "hide")
    assert (hidden["action"], hidden["target_type"], hidden["target_id"]) == ("hide", "comment", first_comment)
    after = client.get(f"{P}/posts/{post.id}/comments").json()
    assert after["total"] == before["total"] - 1 and first_comment not in [c["id"] for c in after["items"]]
    moderate("comments", first_comment, "restore")
    assert client.get(f"{P}/posts/{post.id}/comments").json() == before

    moderate("posts", post.id, "hide")
    assert client.get(detail).content == error_body(404, "post_not_found")
    assert client.get(f"{P}/posts/{post.id}/revisions").status_code == 404
    assert post.id not in [p["id"] for p in client.get(listing).json()["items"]]
    moderate("posts", post.id, "restore")
    moderate("posts", post.id, "lock")
    shown = client.get(detail).json()
    assert shown["locked"] is True and shown["pinned"] is False and shown["edit_count"] == 0
    moderate("posts", post.id, "unlock")
    actions = client.get(f"{P}/moderation/actions?per_page=5", headers=bearer(moderator.id)).json()["items"]
    assert [a["action"] for a in actions] == ["unlock", "lock", "restore", "hide", "restore"]
