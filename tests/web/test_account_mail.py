"""Verification, password reset and change of address, through the forum's forms and the Flask API,
with the mail delivered to a real SMTP server in the test process (tests/mail_support.py).

The walks run on SQLite only (the same use cases run on PostgreSQL in the account sequence
of tests/adapters/test_inprocess_conformance.py, and the queued mail in
tests/persistence/test_mail_jobs.py); the answers that must not tell addresses apart and the
limits (in Redis there) run on both."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from finboard.contract.accounts import MAIL_ACCEPTED
from finboard.core import mail_jobs
from finboard.core.models import User, UserSession
from finboard.core.security import verify_password
from finboard.extensions import db
from tests.conftest import TEST_PASSWORD
from tests.helpers import field_error, flashes, location_path, logged_in_as
from tests.mail_support import SmtpServer, link, text_part


@pytest.fixture(scope="module")
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


SQLITE_ONLY = pytest.mark.parametrize("database_kind", ["sqlite"])


@pytest.fixture
def mail_app(app, smtp):
    smtp.clear()
    settings = app.config["FINBOARD_SETTINGS"]
    app.config["FINBOARD_SETTINGS"] = settings.replace(mail_url=smtp.url, site_url="http://forum.test")
    return app


def _path(url: str) -> str:
    return url.removeprefix("http://forum.test")


def _form(client, auth, path: str, **data):
    return client.post(path, data={**data, "csrf_token": auth.csrf(path)})


def _api_token(client, username="alice", password=TEST_PASSWORD) -> str:
    return client.post("/api/v1/auth/login", json={"username": username, "password": password}).json["access_token"]


@SQLITE_ONLY
def test_sign_up_mails_a_link_that_verifies_once(mail_app, client, auth, smtp, make):
    response = _form(client, auth, "/auth/register", username="carol", email="carol@example.com",
                     password="long-enough-9", confirm="long-enough-9")  # fmt: skip
    assert response.status_code == 302
    assert "Please confirm your email address" in client.get("/").get_data(as_text=True)

    (message,) = smtp.wait_for("carol@example.com")
    assert message["Subject"] == "Confirm your e-mail address for FinBoard"
    assert message.get_content_type() == "multipart/alternative"
    assert message["List-Unsubscribe"] is None  # account mail cannot be unsubscribed from
    url = link(message, "/account/verify/")
    verified = client.get(_path(url))
    assert verified.status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert "Please confirm your email address" not in page and "your email address is confirmed" in page
    with mail_app.app_context():
        assert db.session.scalars(select(User.email_verified_at).where(User.username == "carol")).one() is not None

    replay = client.get(_path(url))
    assert replay.status_code == 422 and "already been used" in replay.get_data(as_text=True)


@SQLITE_ONLY
def test_unverified_member_writes_and_can_ask_again(mail_app, client, auth, smtp, make):
    make.user("alice")
    auth.login()
    post = {"title": "Unverified but allowed", "body": "$KO", "category": "stocks"}
    created = client.post("/api/v1/posts", json=post, headers={"Authorization": f"Bearer {_api_token(client)}"})
    assert created.status_code == 201  # within the new-account allowance
    response = client.post("/account/verify/resend", data={"csrf_token": auth.csrf("/"), "next": "/watchlist"})
    assert response.status_code == 302 and location_path(response) == "/watchlist"
    (message,) = smtp.wait_for("alice@example.com")
    assert "/account/verify/" in link(message, "/account/verify/")


@SQLITE_ONLY
def test_forgotten_password_resets_once_and_signs_everything_out(mail_app, client, auth, smtp, make, app):
    user_id = make.user("alice")
    auth.login()
    old_token = _api_token(client)
    stranger = app.test_client()  # the member, on another browser, who forgot the password
    response = _form(stranger, type(auth)(stranger), "/account/forgot", email="ALICE@example.com")
    assert response.status_code == 302 and flashes(stranger.get("/auth/login")) == [MAIL_ACCEPTED]

    (message,) = smtp.wait_for("alice@example.com")
    assert message["Subject"] == "Reset your FinBoard password"
    reset_path = _path(link(message, "/account/reset/"))
    assert stranger.get(reset_path).status_code == 200
    done = _form(stranger, type(auth)(stranger), reset_path, password="brand-new-pass-1", confirm="brand-new-pass-1")
    assert done.status_code == 302 and location_path(done) == "/auth/login"

    user = make.get(User, user_id)
    assert verify_password(user.password_hash, "brand-new-pass-1") and user.token_version == 1
    assert logged_in_as(client) is None  # the old session was revoked
    assert make.count(UserSession) >= 1
    revoked = client.post("/api/v1/posts", json={"title": "t", "body": "b", "category": "stocks"},
                          headers={"Authorization": f"Bearer {old_token}"})  # fmt: skip
    assert revoked.status_code == 401
    assert _api_token(client, password="brand-new-pass-1")

    replay = stranger.get(reset_path)
    assert replay.status_code == 422 and "already been used" in replay.get_data(as_text=True)


def test_reset_answers_the_same_for_known_and_unknown_addresses(mail_app, client, auth, smtp, make):
    make.user("alice")
    known = _form(client, auth, "/account/forgot", email="alice@example.com")
    unknown = _form(client, auth, "/account/forgot", email="nobody@example.com")
    assert (known.status_code, known.location) == (unknown.status_code, unknown.location)
    api_known = client.post("/api/v1/auth/password-reset", json={"email": "alice@example.com"})
    api_unknown = client.post("/api/v1/auth/password-reset", json={"email": "nobody@example.com"})
    assert (api_known.status_code, api_known.data) == (api_unknown.status_code, api_unknown.data)
    assert api_known.status_code == 202 and api_known.json["message"] == MAIL_ACCEPTED
    mail_jobs.wait_idle()
    assert len(smtp.to("alice@example.com")) == 2 and smtp.to("nobody@example.com") == []


@SQLITE_ONLY
def test_reset_through_the_api_once(mail_app, client, smtp, make):
    user_id = make.user("alice")
    assert client.post("/api/v1/auth/password-reset", json={"email": "alice@example.com"}).status_code == 202
    token = link(smtp.wait_for("alice@example.com")[0], "/account/reset/").rsplit("/", 1)[1]
    bad = client.post("/api/v1/auth/password-reset/confirm", json={"token": token, "password": "short"})
    assert bad.status_code == 422 and "password" in bad.json["error"]["fields"]
    tampered = client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token[:-2] + "xx", "password": "long-enough-1"}
    )
    assert tampered.status_code == 422 and tampered.json["error"]["code"] == "invalid_token"
    assert (
        client.post(
            "/api/v1/auth/password-reset/confirm", json={"token": token, "password": "long-enough-1"}
        ).status_code
        == 204
    )
    again = client.post("/api/v1/auth/password-reset/confirm", json={"token": token, "password": "long-enough-2"})
    assert again.status_code == 422 and again.json["error"]["fields"]["token"].startswith(
        "This link has already been used"
    )
    assert verify_password(make.get(User, user_id).password_hash, "long-enough-1")


@SQLITE_ONLY
def test_change_of_address_is_confirmed_at_the_new_one_and_told_to_the_old(mail_app, client, auth, smtp, make):
    user_id = make.user("alice", verified=True)  # the old address is told: it was confirmed
    make.user("bob", verified=True)  # bob owns his address: a change to it mails nothing
    auth.login()
    change = {"change-email": "new@example.com", "change-password": "not-my-password"}
    wrong = _form(client, auth, "/account/email", **change)
    assert wrong.status_code == 422 and field_error(wrong, "change-password") == "That is not your current password."
    taken = _form(
        client,
        auth,
        "/account/email",
        **{**change, "change-email": "bob@example.com", "change-password": TEST_PASSWORD},
    )
    asked = _form(
        client,
        auth,
        "/account/email",
        **{**change, "change-email": "New@Example.com", "change-password": TEST_PASSWORD},
    )
    assert taken.status_code == asked.status_code == 302
    (message,) = smtp.wait_for("new@example.com")
    mail_jobs.wait_idle()
    assert smtp.to("bob@example.com") == []  # an owned address gets nothing, and the answer is the same
    confirm_path = _path(link(message, "/account/email/confirm/"))
    assert make.get(User, user_id).email == "alice@example.com"  # not until confirmed
    page = client.get(confirm_path)
    assert page.status_code == 200 and "new@example.com" in page.get_data(as_text=True)
    assert _form(client, auth, confirm_path).status_code == 302
    user = make.get(User, user_id)
    assert user.email == "new@example.com" and user.email_verified_at is not None
    (notice,) = smtp.wait_for("alice@example.com")
    assert notice["Subject"] == "Your FinBoard e-mail address was changed" and "new@example.com" in text_part(notice)
    assert client.get(confirm_path).status_code == 422  # used


def test_account_mail_forms_are_rate_limited_per_account_and_ip(mail_app, client, auth, make):
    make.user("alice")
    token = auth.csrf("/account/forgot")
    answers = [client.post("/account/forgot", data={"email": "alice@example.com", "csrf_token": token}).status_code
               for _ in range(6)]  # fmt: skip
    assert answers == [302] * 5 + [429]
    api = client.post("/api/v1/auth/password-reset", json={"email": "Alice@Example.com"})
    assert api.status_code == 429 and api.json["error"]["code"] == "rate_limited"  # the same account bucket
    assert client.post("/api/v1/auth/password-reset", json={"email": "other@example.com"}).status_code == 202
