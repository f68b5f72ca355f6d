"""Daily and weekly digests by e-mail, through ``flask digests send`` and the worker's schedule.

A digest lists the member's unread notifications of the kinds they put in it and the top
posts of the tickers they follow (never from members they block); it is sent once per
member and period however often or concurrently the command runs; a mail server that is
down sends it on the next run; its one-click unsubscribe link takes every kind out of it.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from finboard.core import account_settings, digests, jobs, worker
from finboard.core.mail_models import DigestSend
from finboard.core.models import Notification, TickerFollow, User, UserBlock, utcnow
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


def _member(app, make, name: str, follows: tuple[str, ...] = (), **preferences: str) -> int:
    user_id = make.user(name)
    with app.app_context():
        user = db.session.get(User, user_id)
        user.email_verified_at = utcnow()
        account_settings.set_notification_preferences(db.session, user, preferences)
        db.session.add_all(TickerFollow(user_id=user_id, ticker=ticker) for ticker in follows)
        db.session.commit()
    return user_id


def _post(app, make, author_id: int, title: str, body: str = "Long.") -> int:
    post_id = make.post(author_id, title=title, body=body)
    with app.app_context():
        jobs.enqueue_fanout(db.session, app.config["FINBOARD_SETTINGS"], "post", post_id)
        db.session.commit()
    return post_id


def _send(runner, period: str = "daily"):
    result = runner.invoke(args=["digests", "send", "--period", period])
    return result


@pytest.fixture
def board(mail_app, make):
    """alice takes mentions daily and follows AAPL; bob mentions her and posts on AAPL; carol
    (whom alice blocks) mentions her and posts on AAPL too; dan takes nothing by digest."""
    alice = _member(mail_app, make, "alice", follows=("AAPL",), mention="daily")
    bob = _member(mail_app, make, "bob")
    carol = _member(mail_app, make, "carol")
    _member(mail_app, make, "dan", mention="email")
    with mail_app.app_context():
        db.session.add(UserBlock(blocker_id=alice, blocked_id=carol))
        db.session.commit()
    ids = {
        "mention": _post(mail_app, make, bob, "Thoughts, @alice?"),
        "top": _post(mail_app, make, bob, "$AAPL into earnings"),
        "quiet": _post(mail_app, make, bob, "$AAPL sideways"),
        "blocked": _post(mail_app, make, carol, "Hey @alice: $AAPL to the moon"),
    }
    make.comment(ids["top"], carol, body="Agreed.")
    return {"alice": alice, **ids}


def test_the_daily_digest_lists_unread_and_top_posts_once(mail_app, runner, smtp, board):
    result = _send(runner)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "daily digests: 1 sent, 0 skipped, 0 failed (sent by the next run)"
    (message,) = smtp.wait_for("alice@example.com")
    assert message["Subject"] == "Your daily FinBoard digest"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = text_part(message)
    assert f'bob (mention): "Thoughts, @alice?" http://forum.test/posts/{board["mention"]}' in text
    top = text.split("Top posts on the tickers you follow:")[1]
    assert top.index("$AAPL into earnings") < top.index("$AAPL sideways")  # most commented first
    assert "carol" not in text and "to the moon" not in text  # alice blocks carol
    assert "Thoughts, @alice?" in html_part(message)
    assert [m["To"] for m in smtp.inbox.messages] == ["alice@example.com"]  # dan: mail at once, no digest

    again = _send(runner)
    assert again.output.strip() == "daily digests: 0 sent, 1 skipped, 0 failed (sent by the next run)"
    assert len(smtp.inbox.messages) == 1
    with mail_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(DigestSend)) == 1


def test_read_notifications_are_left_out_and_the_unsubscribe_link_empties_the_digest(
    mail_app, runner, smtp, client, board
):
    with mail_app.app_context():
        db.session.execute(update(Notification).values(read_at=utcnow()))
        db.session.commit()
    _send(runner)
    (message,) = smtp.wait_for("alice@example.com")
    assert "Unread notifications" not in text_part(message)  # read: only the top posts remain
    url = re.fullmatch(r"<http://forum\.test(/account/unsubscribe/[^>]+)>", message["List-Unsubscribe"]).group(1)
    assert client.post(url, data="List-Unsubscribe=One-Click").status_code == 200
    with mail_app.app_context():
        assert account_settings.notification_preferences(db.session, board["alice"]) == {}
        assert digests.members_due(db.session, "daily") == []


def test_a_mail_server_that_is_down_sends_the_digest_next_run(mail_app, runner, smtp, board):
    smtp.stop()
    try:
        failed = _send(runner)
    finally:
        smtp.start()
    assert failed.exit_code == 1 and "0 sent, 0 skipped, 1 failed" in failed.output
    with mail_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(DigestSend)) == 0  # claim rolled back
    assert "1 sent" in _send(runner).output
    smtp.wait_for("alice@example.com")


def test_the_weekly_digest_is_its_own_period_and_unknown_periods_are_refused(mail_app, runner, smtp, make):
    _member(mail_app, make, "alice", follows=("AAPL",), reply="weekly")
    bob = _member(mail_app, make, "bob")
    _post(mail_app, make, bob, "$AAPL weekly")
    assert "0 sent, 0 skipped" in _send(runner, "daily").output  # alice is not due daily
    assert "1 sent" in _send(runner, "weekly").output
    assert runner.invoke(args=["digests", "send", "--period", "hourly"]).exit_code == 2
    now = utcnow()
    monday = digests.period_start("weekly", now)
    assert monday.weekday() == 0 and now.date() - monday < timedelta(days=7)


@pytest.mark.parametrize("database_kind", ["postgres"])
def test_concurrent_runs_send_one_digest(mail_app, smtp, board):
    settings = mail_app.config["FINBOARD_SETTINGS"]
    with mail_app.app_context():
        engine = db.engine
        now = utcnow()
        with ThreadPoolExecutor(4) as pool:
            runs = list(pool.map(lambda _: digests.send_all(engine, settings, "daily", now), range(4)))
    assert sum(run.sent for run in runs) == 1 and sum(run.skipped for run in runs) == 3
    assert len(smtp.wait_for("alice@example.com")) == 1


def test_the_worker_schedules_both_digests():
    from finboard.settings import load_settings

    settings = load_settings({"DATABASE_URL": "postgresql+psycopg://root@127.0.0.1/unused", "SECRET_KEY": "k" * 32})
    app = worker.procrastinate_app(settings)
    schedules = {task.periodic_id: task.cron for task in app.periodic_registry.periodic_tasks.values()}
    assert schedules == {"daily": "0 7 * * *", "weekly": "0 7 * * 1", "hourly": "0 * * * *"}
