"""An address is owned once confirmed (issue 17): who gets which mail, who logs in by it, who confirms it.

Sign-up takes any address and answers alike (tests/web/test_auth.py compares the pages,
the conformance scripts the API on every backend); here, through the forum's forms and
the Flask API with the mail delivered to a real SMTP server in the test process, on
SQLite and PostgreSQL:

- an address another account confirmed: no link to the newcomer, its owner is told —
  at sign-up and at every "send the link again"; the newcomer is signed in, unconfirmed,
  and writes within the new-account allowance;
- an address only unconfirmed accounts carry: each gets its link, the first to confirm
  owns it, the other's link then fails with a message (409) and changes nothing;
- login by address: its owner, else its one unconfirmed holder, else nobody;
- a reset by address: its owner, else each unconfirmed holder (one link each);
- a change to an owned address mails nothing (the same answer); the old address is told
  of a change only if it was confirmed.

Two confirmations at once: tests/persistence/test_owned_addresses.py.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from finboard.contract.accounts import ADDRESS_CONFIRMED_ELSEWHERE, MAIL_ACCEPTED
from finboard.core import mail_jobs
from finboard.core.account_tokens import make_token
from finboard.core.models import User
from finboard.core.security import decode_access_token
from finboard.extensions import db
from tests.conftest import TEST_PASSWORD
from tests.helpers import flashes
from tests.mail_support import SmtpServer, link, text_part

TRIED = "Someone tried to sign up to FinBoard with your address"
CONFIRM = "Confirm your e-mail address for FinBoard"


@pytest.fixture(scope="module")
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


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


def _sign_up(app, auth, username: str, email: str):
    """A sign-up through the page, in a browser of its own (signed in as the newcomer)."""
    browser = app.test_client()
    answer = _form(browser, type(auth)(browser), "/auth/register", username=username, email=email,
                   password=TEST_PASSWORD, confirm=TEST_PASSWORD)  # fmt: skip
    assert answer.status_code == 302, answer.get_data(as_text=True)[:400]
    return browser


def _login(client, login: str, password: str = TEST_PASSWORD):
    return client.post("/api/v1/auth/login", json={"username": login, "password": password})


def _login_user_id(client, login: str, password: str = TEST_PASSWORD) -> int | None:
    answer = _login(client, login, password)
    if answer.status_code != 200:
        return None
    return decode_access_token(_secret(client.application), answer.json["access_token"]).user_id


def _secret(app) -> str:
    return app.config["FINBOARD_SETTINGS"].secret_key


def _mail(smtp, address: str) -> list[tuple[str, str]]:
    """(subject, first line of the text) of every mail delivered to ``address``, in order."""
    mail_jobs.wait_idle()
    return [(m["Subject"], text_part(m).splitlines()[0]) for m in smtp.to(address)]


def _verified(app, username: str) -> bool:
    with app.app_context():
        return db.session.scalars(select(User.email_verified_at).where(User.username == username)).one() is not None


def test_sign_up_with_a_confirmed_address_tells_its_owner_and_links_nobody(mail_app, auth, smtp, make, client):
    make.user("alice", verified=True)
    dave = _sign_up(mail_app, auth, "dave", "Alice@Example.com")
    page = dave.get("/").get_data(as_text=True)
    assert "Please confirm your email address" in page  # signed in, unconfirmed: the banner
    created = dave.post("/api/v1/posts", json={"title": "New here", "body": "Hello $KO", "category": "stocks"},
                        headers={"Authorization": f"Bearer {_login(dave, 'dave').json['access_token']}"})  # fmt: skip
    assert created.status_code == 201  # within the new-account allowance
    resent = dave.post("/account/verify/resend", data={"csrf_token": type(auth)(dave).csrf("/"), "next": "/"})
    assert resent.status_code == 302  # the same answer as for any account
    api = client.post("/api/v1/auth/register",
                      json={"username": "erin", "email": "alice@example.com", "password": TEST_PASSWORD})  # fmt: skip
    assert api.status_code == 201 and sorted(api.json) == ["created_at", "id", "username"]

    told = smtp.wait_for("alice@example.com", count=3)
    assert [m["Subject"] for m in told] == [TRIED] * 3  # dave's sign-up and resend, erin's sign-up
    assert all("/account/verify/" not in text_part(m) for m in told)  # nobody got a link
    body = text_part(told[0])
    assert "Hello alice" in body and "http://forum.test/auth/login" in body and "/account/forgot" in body
    assert "dave" not in body  # the owner is not told who tried
    assert not _verified(mail_app, "dave") and not _verified(mail_app, "erin") and _verified(mail_app, "alice")


def test_the_first_of_two_holders_to_confirm_owns_the_address(mail_app, auth, smtp, make, client):
    alice = make.user("alice", email="shared@example.com")
    _sign_up(mail_app, auth, "dave", "shared@example.com")  # not owned: dave gets his link
    (mail,) = smtp.wait_for("shared@example.com")
    assert mail["Subject"] == CONFIRM and "Hello dave" in text_part(mail)
    dave_link = _path(link(mail, "/account/verify/"))
    with mail_app.app_context():  # alice follows her own link first
        alice_link = f"/account/verify/{make_token(_secret(mail_app), db.session.get(User, alice), 'verify')}"
    assert client.get(alice_link).status_code == 302 and _verified(mail_app, "alice")

    refused = client.get(dave_link)  # only the mailbox's holder has this link, and sees why
    assert refused.status_code == 409 and ADDRESS_CONFIRMED_ELSEWHERE in refused.get_data(as_text=True)
    api = client.post("/api/v1/auth/email/verify", json={"token": dave_link.rsplit("/", 1)[1]})
    assert api.status_code == 409 and api.json["error"]["fields"] == {"email": ADDRESS_CONFIRMED_ELSEWHERE}
    assert not _verified(mail_app, "dave") and _verified(mail_app, "alice")
    assert make.get(User, alice).email == "shared@example.com"


def test_login_by_address_names_its_owner_else_its_only_holder(mail_app, auth, make, client):
    alice = make.user("alice", email="a@example.com")
    assert _login_user_id(client, "A@example.com") == alice  # the only account with it
    dave = make.user("dave", email="a@example.com")
    assert _login_user_id(client, "a@example.com") is None  # two unconfirmed: neither (the usernames work)
    assert (_login_user_id(client, "alice"), _login_user_id(client, "dave")) == (alice, dave)
    with mail_app.app_context():
        db.session.get(User, dave).email_verified_at = db.session.get(User, dave).created_at
        db.session.commit()
    assert _login_user_id(client, "a@example.com") == dave  # the owner, whatever the others
    assert _login(client, "a@example.com", "not-the-password").status_code == 401
    page = _form(client, auth, "/auth/login", username="a@example.com", password=TEST_PASSWORD)
    assert page.status_code == 302 and flashes(client.get("/")) == ["Logged in as dave."]


def test_a_reset_by_address_mails_its_owner_else_each_holder(mail_app, make, client, smtp):
    make.user("alice", email="a@example.com")
    bob = make.user("bob", email="a@example.com")
    answers = [client.post("/api/v1/auth/password-reset", json={"email": e}).data
               for e in ("a@example.com", "nobody@example.com")]  # fmt: skip
    assert answers[0] == answers[1] and MAIL_ACCEPTED in answers[0].decode()
    firsts = sorted(line for _, line in _mail(smtp, "a@example.com"))
    assert firsts == ["Hello alice,", "Hello bob,"] and smtp.to("nobody@example.com") == []
    smtp.clear()
    with mail_app.app_context():
        db.session.get(User, bob).email_verified_at = db.session.get(User, bob).created_at
        db.session.commit()
    assert client.post("/api/v1/auth/password-reset", json={"email": "A@example.com"}).data == answers[0]
    assert _mail(smtp, "a@example.com") == [("Reset your FinBoard password", "Hello bob,")]


def test_a_change_to_an_owned_address_mails_nothing(mail_app, auth, make, client, smtp):
    make.user("alice", verified=True)
    make.user("carol", email="c@example.com")  # carries c@ without having confirmed it
    bob = make.user("bob", verified=True)
    auth.login("bob")
    change = {"change-password": TEST_PASSWORD}
    owned = _form(client, auth, "/account/email", **change, **{"change-email": "alice@example.com"})
    unowned = _form(client, auth, "/account/email", **change, **{"change-email": "C@example.com"})
    assert (owned.status_code, owned.location) == (unowned.status_code, unowned.location)
    assert _mail(smtp, "alice@example.com") == []
    (confirm,) = smtp.wait_for("c@example.com")
    assert _form(client, auth, _path(link(confirm, "/account/email/confirm/"))).status_code == 302
    assert make.get(User, bob).email == "c@example.com" and _verified(mail_app, "bob")
    assert [s for s, _ in _mail(smtp, "bob@example.com")] == ["Your FinBoard e-mail address was changed"]
    assert _login_user_id(client, "c@example.com") == bob  # bob owns it now; carol's link would be refused


def test_an_unconfirmed_old_address_is_not_told_of_a_change(mail_app, auth, make, client, smtp):
    make.user("dave", email="alice@example.com")  # an address dave never proved to be his
    auth.login("dave")
    change = {"change-email": "dave@example.com", "change-password": TEST_PASSWORD}
    assert _form(client, auth, "/account/email", **change).status_code == 302
    (confirm,) = smtp.wait_for("dave@example.com")
    assert _form(client, auth, _path(link(confirm, "/account/email/confirm/"))).status_code == 302
    assert _mail(smtp, "alice@example.com") == []
