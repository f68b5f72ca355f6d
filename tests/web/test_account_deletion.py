""" "Delete my account": re-authentication, sign-out everywhere at once, the grace period and its
cancel, then the purge that anonymises — content kept as a deleted member, or removed.

The purge runs through ``flask accounts purge`` (what cron or the worker's hourly task run).
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from finboard.core.account_data_models import AccountDeletion
from finboard.core.account_models import NotificationPreference, TwoFactor
from finboard.core.models import Comment, Post, TickerFollow, User, UserSession, utcnow
from finboard.extensions import db
from tests.conftest import TEST_PASSWORD
from tests.helpers import body, flashes
from tests.web.two_factor_support import code_at, enrol

SQLITE_AND_PG = pytest.mark.parametrize("database_kind", ["sqlite", "postgres"])


def _csrf(client) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', body(client.get("/settings"))).group(1)


def _delete(client, password=TEST_PASSWORD, content="keep", code=None):
    data = {"csrf_token": _csrf(client), "password": password, "content": content}
    if code is not None:
        data["code"] = code
    return client.post("/settings/delete-account", data=data)


def _api_token(client, **more) -> str:
    answer = client.post("/api/v1/auth/login", json={"username": "alice", "password": TEST_PASSWORD, **more})
    return answer.json["access_token"]


def _due_now(app) -> None:
    with app.app_context():
        db.session.execute(update(AccountDeletion).values(delete_after=utcnow() - timedelta(seconds=1)))
        db.session.commit()


@pytest.fixture
def alice(app, make, auth):
    alice_id = make.user("alice")
    bob_id = make.user("bob")
    post_id = make.post(alice_id, title="Alice on $AAPL", body="Long.")
    make.comment(post_id, bob_id, body="Bob's reply.")
    other_post = make.post(bob_id, title="Bob on $TSLA", body="Short.")
    make.comment(other_post, alice_id, body="Alice's comment.")
    with app.app_context():
        db.session.add(TickerFollow(user_id=alice_id, ticker="AAPL"))
        db.session.add(NotificationPreference(user_id=alice_id, kind="mention", delivery="email"))
        db.session.execute(update(User).where(User.id == alice_id).values(bio="Value investor."))
        db.session.commit()
    auth.login()
    return {"id": alice_id, "post": post_id, "bob_post": other_post}


def test_a_wrong_password_deletes_nothing(app, client, alice):
    answer = _delete(client, password="not-my-password")
    assert answer.status_code == 303
    assert "That is not your current password." in flashes(client.get("/settings"))
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AccountDeletion)) == 0


@SQLITE_AND_PG
def test_asking_signs_out_everywhere_and_signing_in_again_can_cancel(app, client, auth, alice):
    token = _api_token(app.test_client())
    assert client.get("/api/v1/notifications", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    answer = _delete(client)
    assert answer.status_code == 302
    assert "will be deleted on" in flashes(client.get("/"))[0]
    assert client.get("/settings").status_code == 302  # this browser is signed out
    refused = app.test_client().get("/api/v1/notifications", headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 401
    with app.app_context():
        row = db.session.get(AccountDeletion, alice["id"])
        assert row.keep_content is True
        assert timedelta(days=6, hours=23) < row.delete_after - row.requested_at <= timedelta(days=7)
        revoked = db.session.scalars(select(UserSession.revoked_at).where(UserSession.user_id == alice["id"])).all()
        assert revoked and all(revoked)

    auth.login()
    page = body(client.get("/settings"))
    assert "Your account will be deleted on" in page and "Keep my account" in page
    client.post("/settings/delete-account/cancel", data={"csrf_token": _csrf(client)})
    assert "Your account will not be deleted." in flashes(client.get("/settings"))
    with app.app_context():
        assert db.session.get(AccountDeletion, alice["id"]) is None
    _due_now(app)
    assert app.test_cli_runner().invoke(args=["accounts", "purge"]).output.strip() == "0 accounts anonymised"


@SQLITE_AND_PG
def test_the_purge_keeps_content_as_a_deleted_member_and_erases_the_rest(app, client, auth, alice, tmp_path):
    app.config["FINBOARD_SETTINGS"] = app.config["FINBOARD_SETTINGS"].replace(avatar_dir=str(tmp_path / "avatars"))
    avatar = tmp_path / "avatars" / f"{'a' * 64}.png"
    avatar.parent.mkdir()
    avatar.write_bytes(b"png")
    with app.app_context():
        db.session.execute(update(User).where(User.id == alice["id"]).values(avatar="a" * 64))
        db.session.commit()
    _delete(client, content="keep")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["accounts", "purge"]).output.strip() == "0 accounts anonymised"  # still in grace
    _due_now(app)
    assert runner.invoke(args=["accounts", "purge"]).output.strip() == "1 accounts anonymised"
    with app.app_context():
        user = db.session.get(User, alice["id"])
        assert (user.username, user.bio, user.avatar) == (f"deleted-member-{alice['id']}", "", None)
        assert user.email == f"deleted-member-{alice['id']}@deleted.invalid" and user.email_verified_at is None
        for model in (TickerFollow, NotificationPreference, UserSession, AccountDeletion):
            assert db.session.scalar(select(func.count()).select_from(model).where(model.user_id == alice["id"])) == 0
        assert db.session.get(Post, alice["post"]).author_id == alice["id"]  # kept
    assert not avatar.exists()  # nobody else's avatar was the same image
    visitor = app.test_client()
    assert visitor.get("/u/alice").status_code == 404
    post_page = body(visitor.get(f"/posts/{alice['post']}"))
    assert "Alice on $AAPL" in post_page and f"deleted-member-{alice['id']}" in post_page
    assert auth.login().status_code != 302  # the old password opens nothing


@SQLITE_AND_PG
def test_the_purge_can_remove_the_content(app, client, alice):
    _delete(client, content="remove")
    _due_now(app)
    assert app.test_cli_runner().invoke(args=["accounts", "purge"]).output.strip() == "1 accounts anonymised"
    with app.app_context():
        assert db.session.get(Post, alice["post"]) is None
        assert db.session.scalar(select(func.count()).select_from(Comment).where(Comment.author_id == alice["id"])) == 0
        bob_post = db.session.get(Post, alice["bob_post"])
        assert bob_post is not None and bob_post.comment_count == 0  # alice's comment went, counted
    assert "Alice on $AAPL" not in body(app.test_client().get("/"))


def test_with_two_factor_login_a_code_is_needed(app, client, alice):
    secret, codes = enrol(client)
    _delete(client)
    assert "Enter a current code" in flashes(client.get("/settings"))[-1]
    _delete(client, code="000000")
    assert "That code is wrong" in flashes(client.get("/settings"))[-1]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AccountDeletion)) == 0
    assert _delete(client, code=code_at(secret)).status_code == 302
    with app.app_context():
        assert db.session.get(AccountDeletion, alice["id"]) is not None
    _due_now(app)
    app.test_cli_runner().invoke(args=["accounts", "purge"])
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(TwoFactor)) == 0
