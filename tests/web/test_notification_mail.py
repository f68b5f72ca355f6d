"""Notifications mailed at once (delivery ``email``) and their unsubscribe links, on the forum.

The fan-out job of a new post or comment mails each notification whose recipient chose
``email`` for its kind, to a real SMTP server in the test process (tests/mail_support.py):
multipart text + HTML with ``List-Unsubscribe`` and RFC 8058 one-click; blocks, muted
tickers, unverified addresses and other preferences send nothing. The unsubscribe link
changes nothing on GET, turns that kind's mail off on POST (the page's button or a mail
client's one-click), works once, expires, and refuses a tampered token. Jobs run after
the commit here (embedded); the queued path is tests/persistence/test_notification_mail_jobs.py.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from finboard.core import account_settings, account_tokens, jobs, mail_jobs, unsubscribe
from finboard.core.mail_models import NotificationEmail, UnsubscribeUse
from finboard.core.models import Notification, User, UserBlock, UserMute, utcnow
from finboard.extensions import db
from tests.mail_support import SmtpServer, html_part, text_part


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


def _member(app, make, name: str, *, verified: bool = True, **preferences: str) -> int:
    user_id = make.user(name)
    with app.app_context():
        user = db.session.get(User, user_id)
        if verified:
            user.email_verified_at = utcnow()
        account_settings.set_notification_preferences(db.session, user, preferences)
        db.session.commit()
    return user_id


def _delivery(app, user_id: int, kind: str) -> str:
    with app.app_context():
        return account_settings.notification_preferences(db.session, user_id).get(kind, "in_app")


def _path(url: str) -> str:
    return url.removeprefix("http://forum.test")


def _post(app, make, author_id: int, title: str, body: str = "Long.") -> int:
    """A post and its fan-out job, which runs after the commit (as the forum's write path does)."""
    post_id = make.post(author_id, title=title, body=body)
    with app.app_context():
        jobs.enqueue_fanout(db.session, app.config["FINBOARD_SETTINGS"], "post", post_id)
        db.session.commit()
    return post_id


def _sent() -> None:
    mail_jobs.wait_idle()


def _unsubscribe_url(message) -> str:
    header = message["List-Unsubscribe"]
    match = re.fullmatch(r"<(http://forum\.test/account/unsubscribe/[^>]+)>", header)
    assert match, header
    return match.group(1)


def test_a_mention_is_mailed_once_and_one_click_turns_that_kind_off(mail_app, client, make, smtp):
    alice = _member(mail_app, make, "alice", mention="email")
    bob = _member(mail_app, make, "bob")
    post_id = _post(mail_app, make, bob, "Hey @alice, $AAPL", "Long.")
    _sent()

    (message,) = smtp.wait_for("alice@example.com")
    assert message.get_content_type() == "multipart/alternative"
    assert message["Subject"] == "bob mentioned you on FinBoard"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = _unsubscribe_url(message)
    for part in (text_part(message), html_part(message)):
        assert f"http://forum.test/posts/{post_id}" in part and url in part and "Hey @alice, $AAPL" in part
    with mail_app.app_context():
        (note,) = db.session.scalars(select(Notification).where(Notification.user_id == alice)).all()
        assert db.session.get(NotificationEmail, note.id) is not None  # the single-send claim
    assert smtp.to("bob@example.com") == []  # the author is never told

    page = client.get(_path(url))  # a mail scanner fetching the link changes nothing
    assert page.status_code == 200 and "Stop e-mails about mention notifications?" in page.get_data(as_text=True)
    assert _delivery(mail_app, alice, "mention") == "email"

    done = client.post(_path(url), data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert done.status_code == 200 and "no more e-mails about mention notifications" in done.get_data(as_text=True)
    assert _delivery(mail_app, alice, "mention") == "in_app"  # in-app still: only the mail stops

    replay = client.post(_path(url))
    assert replay.status_code == 422 and "already been used" in replay.get_data(as_text=True)
    assert client.get(_path(url)).status_code == 422

    smtp.clear()
    _post(mail_app, make, bob, "Again @alice", "Long.")
    _sent()
    assert smtp.to("alice@example.com") == []
    with mail_app.app_context():
        assert db.session.scalar(select(Notification.id).where(Notification.user_id == alice).limit(1)) is not None


def test_a_replayed_link_stays_used_after_the_mail_is_turned_back_on(mail_app, client, make):
    alice = _member(mail_app, make, "alice", reply="email")
    token = unsubscribe.make_token(mail_app.config["FINBOARD_SETTINGS"].secret_key, alice, "reply")
    assert client.post(f"/account/unsubscribe/{token}").status_code == 200
    assert _delivery(mail_app, alice, "reply") == "in_app"
    with mail_app.app_context():
        account_settings.set_notification_preferences(db.session, db.session.get(User, alice), {"reply": "email"})
        db.session.commit()
    assert client.post(f"/account/unsubscribe/{token}").status_code == 422
    assert _delivery(mail_app, alice, "reply") == "email"


def test_tampered_and_expired_links_are_refused_and_change_nothing(mail_app, client, make, monkeypatch):
    alice = _member(mail_app, make, "alice", mention="email")
    secret = mail_app.config["FINBOARD_SETTINGS"].secret_key
    token = unsubscribe.make_token(secret, alice, "mention")
    other = unsubscribe.make_token(secret, alice + 1, "mention")
    forged = other.partition(".")[0] + "." + token.partition(".")[2]  # bob's payload, alice's signature
    wrong_key = unsubscribe.make_token("another-secret-key-0123456789abcdef", alice, "mention")
    for bad in (forged, wrong_key, token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "x" * 30):
        answer = client.post(f"/account/unsubscribe/{bad}")
        assert answer.status_code == 422 and "not valid" in answer.get_data(as_text=True), bad
    reset_link = account_tokens._serializer(secret, "reset").dumps({"u": alice, "s": "mention", "n": "0" * 32})
    assert client.post(f"/account/unsubscribe/{reset_link}").status_code == 422  # another purpose's salt

    now = account_tokens.clock()
    monkeypatch.setattr(account_tokens, "clock", lambda: now + unsubscribe.MAX_AGE + 5)
    expired = client.post(f"/account/unsubscribe/{token}")
    assert expired.status_code == 422 and "expired" in expired.get_data(as_text=True)
    assert _delivery(mail_app, alice, "mention") == "email"
    with mail_app.app_context():
        assert db.session.scalar(select(UnsubscribeUse.nonce).limit(1)) is None


def test_blocks_mutes_unverified_addresses_and_other_deliveries_send_nothing(mail_app, make, smtp):
    alice = _member(mail_app, make, "alice", mention="email", ticker="email")
    _member(mail_app, make, "carol", verified=False, mention="email")
    _member(mail_app, make, "dave", mention="daily")
    bob = _member(mail_app, make, "bob")
    eve = _member(mail_app, make, "eve")
    with mail_app.app_context():
        db.session.add(UserBlock(blocker_id=alice, blocked_id=bob))
        db.session.add(UserMute(user_id=alice, kind="ticker", term="TSLA"))
        db.session.commit()
    _post(mail_app, make, bob, "Hey @alice @carol @dave", "Long.")
    _sent()
    assert smtp.inbox.messages == []  # alice blocks bob; carol unverified; dave takes the daily digest

    with mail_app.app_context():  # eve's post: alice follows TSLA but muted it — in-app hidden, no mail
        from finboard.core.models import TickerFollow

        db.session.add(TickerFollow(user_id=alice, ticker="TSLA"))
        db.session.commit()
    _post(mail_app, make, eve, "$TSLA deliveries", "Short $TSLA.")
    _sent()
    assert smtp.inbox.messages == []

    _post(mail_app, make, eve, "Hi @alice", "Long.")  # not blocked, not muted: mailed
    _sent()
    (message,) = smtp.wait_for("alice@example.com")
    assert message["Subject"] == "eve mentioned you on FinBoard"


def test_a_comment_reply_is_mailed_with_its_anchor(mail_app, make, smtp):
    alice = _member(mail_app, make, "alice", reply="email")
    bob = _member(mail_app, make, "bob")
    post_id = _post(mail_app, make, alice, "My $AAPL thesis", "Long.")
    comment_id = make.comment(post_id, bob, body="Disagree.")
    with mail_app.app_context():
        jobs.enqueue_fanout(db.session, mail_app.config["FINBOARD_SETTINGS"], "comment", comment_id)
        db.session.commit()
    _sent()
    (message,) = smtp.wait_for("alice@example.com")
    assert message["Subject"] == "bob commented on your post on FinBoard"
    assert f"http://forum.test/posts/{post_id}#comment-{comment_id}" in text_part(message)


def test_a_mail_server_down_for_good_gives_the_notification_back(mail_app, make, smtp, monkeypatch):
    monkeypatch.setattr(mail_jobs, "EMBEDDED_WAITS", (0, 0))
    alice = _member(mail_app, make, "alice", mention="email")
    bob = _member(mail_app, make, "bob")
    smtp.stop()
    try:
        _post(mail_app, make, bob, "Hey @alice", "Long.")
        _sent()
    finally:
        smtp.start()
    with mail_app.app_context():
        assert db.session.scalar(select(NotificationEmail.notification_id).limit(1)) is None  # claim withdrawn
        assert db.session.scalar(select(Notification.id).where(Notification.user_id == alice)) is not None
