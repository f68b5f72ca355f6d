"""Notifications mailed at once, queued on PostgreSQL and sent by the real worker.

The fan-out job enqueues one ``finboard.notification_mail`` job per notification to mail,
in its own transaction; the mail job claims the notification (``notification_emails``),
delivers and commits together: a mail server that is down rolls the claim back and
Procrastinate runs the job again (nothing lost), and a job run twice sends once.
"""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from finboard.core import account_queries, account_settings, content_writes, jobs, notification_mail, worker
from finboard.core.mail_models import NotificationEmail
from finboard.core.models import Category, Notification, utcnow
from finboard.rawsql.notification_mail import NOTIFICATION_MAIL_TASK
from tests.jobs_support import empty_board_and_queue, settings_for
from tests.mail_support import SmtpServer


@pytest.fixture(scope="module")
def smtp():
    server = SmtpServer()
    yield server
    server.stop()


def _jobs(url: str) -> list[tuple[str, int]]:
    with create_engine(url).connect() as conn:
        rows = conn.execute(
            text("SELECT status, attempts FROM procrastinate_jobs WHERE task_name = :task ORDER BY id"),
            {"task": NOTIFICATION_MAIL_TASK},
        )
        return [(row[0], row[1]) for row in rows]


def _board(session: Session, settings) -> int:
    """ann (mentions wanted by mail) and bob, in-app only, both mentioned by cat's post."""
    names = ("ann", "bob", "cat")
    users = {name: account_queries.create_user(session, name, f"{name}@example.com", "x") for name in names}
    for user in users.values():
        user.email_verified_at = utcnow()
    account_settings.set_notification_preferences(session, users["ann"], {"mention": "email"})
    category = session.scalars(select(Category).where(Category.slug == "stocks")).one()
    post = content_writes.create_post(session, users["cat"], category, "Hi @ann and @bob", "Long $AAPL.")
    jobs.enqueue_fanout(session, settings, "post", post.id)
    session.commit()
    return post.id


@pytest.mark.postgres
def test_the_fanout_enqueues_the_mail_which_survives_a_server_down_and_is_sent_once(postgres_url, smtp):
    url = empty_board_and_queue(postgres_url)
    settings = settings_for(url, "queue", MAIL_URL=smtp.url, SITE_URL="http://forum.test")
    engine = create_engine(url)
    with Session(engine) as session:
        post_id = _board(session, settings)

    smtp.stop()
    smtp.clear()
    worker.run_worker(settings, wait=False)  # the fan-out, then its one mail job, which fails
    assert _jobs(url) == [("todo", 1)]  # only ann's: bob wants mentions in-app
    with Session(engine) as session:
        assert len(session.scalars(select(Notification).where(Notification.post_id == post_id)).all()) == 2
        assert session.scalar(select(NotificationEmail.notification_id)) is None  # the claim rolled back

    smtp.start()
    with engine.begin() as conn:  # the retry's time has come
        conn.execute(text("UPDATE procrastinate_jobs SET scheduled_at = now() WHERE task_name = :t"),
                     {"t": NOTIFICATION_MAIL_TASK})  # fmt: skip
    worker.run_worker(settings, wait=False)
    assert _jobs(url) == [("succeeded", 2)]
    (message,) = smtp.wait_for("ann@example.com")
    assert message["Subject"] == "cat mentioned you on FinBoard"
    assert message["List-Unsubscribe"].startswith("<http://forum.test/account/unsubscribe/")
    assert smtp.to("bob@example.com") == []

    with Session(engine) as session:
        (note_id,) = session.scalars(select(NotificationEmail.notification_id)).all()
    with Session(engine) as session:  # the job again (a worker killed after sending): nothing more
        assert notification_mail.run_queued(session, settings, note_id) is False
    with Session(engine) as session, session.begin():  # the fan-out again: nothing left to mail
        jobs.split_fanout(session, "post", post_id, chunk=1000)
    assert _jobs(url) == [("succeeded", 2)]
    assert len(smtp.to("ann@example.com")) == 1
    engine.dispose()
