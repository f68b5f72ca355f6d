"""A notification mailed at once (delivery ``email``): composed, sent once, retried if the server is down.

The fan-out job (finboard.core.jobs, the worker, Django's jobs) hands over the ids of the
event's notifications whose recipients want them mailed (finboard.rawsql.notification_mail):

- **queued** (PostgreSQL): one ``finboard.notification_mail`` job each, enqueued in the
  fan-out's transaction. :func:`run_queued` claims the notification (a row of
  ``notification_emails``), composes and delivers *in one transaction*: a mail server that
  is down raises :class:`MailError`, the claim rolls back and Procrastinate runs the job
  again later; a job run twice finds the claim and sends nothing;
- **embedded** (SQLite): the mail thread (finboard.core.mail_jobs) claims and commits, then
  delivers with its retries; if it still fails the claim is withdrawn (and logged).

Whatever the fan-out decided, the mail is composed from the state *when it is sent*: nothing
is sent to an address not verified, to a member who has since blocked the actor, muted the
ticker or changed the preference, nor about a post a moderator has hidden.
"""

from __future__ import annotations

import functools
import logging
from email.message import EmailMessage

from sqlalchemy import Engine, delete, exists, select
from sqlalchemy.orm import Session

from finboard.core import mail_jobs, unsubscribe
from finboard.core.account_models import NotificationPreference
from finboard.core.mail import deliver, render
from finboard.core.mail_models import NotificationEmail, claim
from finboard.core.models import Notification, Post, User, UserBlock, UserMute, utcnow
from finboard.settings import Settings

log = logging.getLogger("finboard.mail")

SUBJECTS = {
    "mention": "{actor} mentioned you",
    "reply": "{actor} commented on your post",
    "comment": "{actor} commented on a post you watch",
    "new_post": "{actor} posted in a category you watch",
    "ticker": "{actor} posted about ${ticker}",
}


def compose(session: Session, settings: Settings, notification_id: int) -> EmailMessage | None:
    """The mail of one notification, or None when it is not to be mailed (any more)."""
    note = session.get(Notification, notification_id)
    if note is None:
        return None
    user = session.get(User, note.user_id)
    actor = session.get(User, note.actor_id)
    post = session.get(Post, note.post_id)
    if user is None or actor is None or post is None or post.hidden_at is not None or user.email_verified_at is None:
        return None
    wants_mail = exists().where(
        NotificationPreference.user_id == user.id,
        NotificationPreference.kind == note.kind,
        NotificationPreference.delivery == "email",
    )
    blocks = exists().where(UserBlock.blocker_id == user.id, UserBlock.blocked_id == actor.id)
    mutes = exists().where(UserMute.user_id == user.id, UserMute.kind == "ticker", UserMute.term == note.ticker)
    if not session.scalar(select(wants_mail & ~blocks & ~mutes)):
        return None
    link = f"{settings.site_url}/posts/{post.id}" + (f"#comment-{note.comment_id}" if note.comment_id else "")
    unsubscribe_url = unsubscribe.link(settings.site_url, settings.secret_key, user.id, note.kind)
    context = {
        "user": user,
        "headline": SUBJECTS[note.kind].format(actor=actor.username, ticker=note.ticker or ""),
        "post_title": post.title,
        "link": link,
        "unsubscribe_url": unsubscribe_url,
        "kind": note.kind.replace("_", " "),
    }
    return render(settings, "notification", user.email, context, unsubscribe_url=unsubscribe_url)


def _claim(session: Session, notification_id: int) -> bool:
    """Take the notification's single send; False when it is taken (sent, or being sent)."""
    return claim(session, NotificationEmail, notification_id=notification_id, sent_at=utcnow())


def run_queued(session: Session, settings: Settings, notification_id: int) -> bool:
    """The queued job: claim, compose, deliver and commit together; MailError rolls back (retried)."""
    with session.begin():
        if not _claim(session, notification_id):
            log.info("notification %s: already mailed", notification_id)
            return False
        message = compose(session, settings, notification_id)
        if message is None:  # the claim commits: this notification is not to be mailed, now or later
            return False
        deliver(settings, message)
    log.info("notification %s mailed to %s", notification_id, message["To"])
    return True


def _claim_and_compose(bind: Engine, settings: Settings, notification_id: int) -> EmailMessage | None:
    with Session(mail_jobs.thread_bind(bind)) as session, session.begin():
        message = compose(session, settings, notification_id)
        if message is None or not _claim(session, notification_id):
            return None
    return message


def _withdraw(bind: Engine, notification_id: int) -> None:
    with Session(mail_jobs.thread_bind(bind)) as session, session.begin():
        session.execute(delete(NotificationEmail).where(NotificationEmail.notification_id == notification_id))
    log.error("notification %s was not mailed (the mail server stayed down)", notification_id)


def send_later(bind: Engine, settings: Settings, notification_ids: list[int]) -> None:
    """Embedded: the mail thread claims, composes and sends each (retrying a server that is down)."""
    for notification_id in notification_ids:
        mail_jobs.send_later(
            settings,
            functools.partial(_claim_and_compose, bind, settings, notification_id),
            on_failure=functools.partial(_withdraw, bind, notification_id),
        )


def send_later_on(database_url: str, settings: Settings, notification_ids: list[int]) -> None:
    """Embedded, for an adapter without a SQLAlchemy engine (Django): :func:`send_later` on the
    mail thread's own engine on the same database."""
    if notification_ids:
        send_later(mail_jobs.url_engine(database_url), settings, notification_ids)
