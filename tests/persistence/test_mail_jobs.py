"""Account mail as jobs, delivered to a real SMTP server in the test process (aiosmtpd).

- queued on PostgreSQL in the write's transaction and sent by the real worker; with the mail
  server down the job fails, Procrastinate schedules it again (attempts counted), and once the
  server is back the retried job delivers the mail — whose link works;
- embedded (SQLite): the mail thread retries a server that is down for a moment;
- ``smtp://`` never sends in clear to a server without STARTTLS; unset ``MAIL_URL`` writes
  ``.eml`` files to the outbox; ``List-Unsubscribe`` where a mail can be unsubscribed from.
"""

from __future__ import annotations

import email
from email.policy import default

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from finboard.core import account_queries, account_service, account_tokens, mail_jobs, worker
from finboard.core.mail import MailError, deliver, render
from finboard.core.models import User
from finboard.core.security import hash_password
from tests.databases import empty_tables
from tests.jobs_support import SECRET, empty_board_and_queue, settings_for
from tests.mail_support import SmtpServer, link


@pytest.fixture(scope="module")
def smtp():
    server = SmtpServer()  # started by the tests that want it up
    yield server
    server.stop()


def _member(session: Session) -> User:
    user = account_queries.create_user(session, "ann", "ann@example.com", hash_password("pass-word-1"))
    session.commit()
    return user


def _mail_jobs(url: str) -> list[tuple[str, int]]:
    with create_engine(url).connect() as conn:
        rows = conn.execute(text("SELECT status, attempts FROM procrastinate_jobs WHERE task_name = 'finboard.mail'"))
        return [(row[0], row[1]) for row in rows]


@pytest.mark.postgres
def test_a_mail_server_that_is_down_delays_the_mail_and_the_job_retries(postgres_url, smtp):
    url = empty_board_and_queue(postgres_url)
    settings = settings_for(url, MAIL_URL=smtp.url, SITE_URL="http://forum.test")
    engine = create_engine(url)
    with Session(engine) as session:
        user_id = _member(session).id
        account_service.request_password_reset(session, settings, "ANN@example.com")
    assert _mail_jobs(url) == [("todo", 0)]  # committed with the request, not sent by it

    smtp.stop()
    worker.run_worker(settings, wait=False)  # the server is down: the job fails and is scheduled again
    assert _mail_jobs(url) == [("todo", 1)]
    assert smtp.inbox.messages == []

    smtp.start()
    with engine.begin() as conn:  # the retry's time has come
        conn.execute(text("UPDATE procrastinate_jobs SET scheduled_at = now() WHERE task_name = 'finboard.mail'"))
    worker.run_worker(settings, wait=False)
    assert _mail_jobs(url) == [("succeeded", 2)]  # the failed attempt and the one that delivered
    (message,) = smtp.to("ann@example.com")
    token = link(message, "/account/reset/").rsplit("/", 1)[1]
    with Session(engine) as session:
        claim = account_tokens.read_token(SECRET, token, "reset")
        assert account_tokens.check(claim, session.get(User, claim.user_id), "reset").id == user_id
    engine.dispose()


def test_embedded_mail_is_retried_by_the_mail_thread(sqlite_url, smtp, monkeypatch):
    empty_tables(sqlite_url)
    monkeypatch.setattr(mail_jobs, "EMBEDDED_WAITS", (0.5, 0.5, 0.5))
    settings = settings_for(sqlite_url, MAIL_URL=smtp.url)
    smtp.stop()
    smtp.clear()
    engine = create_engine(sqlite_url)
    with Session(engine) as session:
        user = _member(session)
        account_service.send_verification(session, settings, user)  # composed after commit, then sent by the thread
    smtp.start()
    (message,) = smtp.wait_for("ann@example.com", timeout=10)
    assert message["Subject"] == "Confirm your e-mail address for FinBoard"
    engine.dispose()


def test_starttls_is_required_and_the_outbox_keeps_mail_without_a_server(smtp, tmp_path):
    smtp.start()
    plain_server = settings_for("sqlite://", MAIL_URL=smtp.url.replace("smtp+plain://", "smtp://"))
    message = render(
        plain_server, "email_changed", "ann@example.com", {"user": {"username": "ann"}, "new_email": "n@x.org"}
    )
    with pytest.raises(MailError, match="STARTTLS"):
        deliver(plain_server, message)  # never in clear to a server that offers no STARTTLS

    outbox = settings_for("sqlite://", MAIL_OUTBOX=str(tmp_path / "outbox"))
    deliver(outbox, message)
    (written,) = (tmp_path / "outbox").glob("*.eml")
    parsed = email.message_from_bytes(written.read_bytes(), policy=default)
    assert parsed["To"] == "ann@example.com" and parsed.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in parsed.iter_parts()] == ["text/plain", "text/html"]
    assert parsed["List-Unsubscribe"] is None

    listed = render(outbox, "email_changed", "a@x.org", {"user": {"username": "a"}, "new_email": "n@x.org"},
                    unsubscribe_url="http://forum.test/unsubscribe/abc")  # fmt: skip
    assert listed["List-Unsubscribe"] == "<http://forum.test/unsubscribe/abc>"
    assert listed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
