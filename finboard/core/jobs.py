"""Background jobs on a SQLAlchemy session: enqueue in the write's transaction, or run after commit.

A write that must tell an audience (finboard.rawsql.fanout) does not wait for it:

- **queue** (PostgreSQL): the job is a Procrastinate row inserted by
  ``procrastinate_defer_jobs_v1`` inside the write's own transaction, so it exists if and
  only if the write commits; ``flask worker`` (finboard.core.worker) runs it.
- **embedded** (the SQLite default, no worker to run): the job is remembered on the session
  and run in this process right after the commit, in a transaction of its own — never
  inside the write's, which a rollback forgets it with. A job that fails there is logged;
  there is no retry (the README says so).

Account mail (finboard.core.mail_jobs) is enqueued the same way (:func:`enqueue_mail`); in
embedded mode it is handed after the commit to a background thread that composes and sends it.

``Settings.jobs_queued`` decides which. The Flask app and FastAPI (through ``run_sync``)
write through this module; Django's ORM path is ``backends.django.forum.jobs``, on the
same statements.
"""

from __future__ import annotations

import functools
import json
import logging

from sqlalchemy import event, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from finboard.core import data_export, mail_jobs, notification_mail
from finboard.rawsql import fanout
from finboard.rawsql import notification_mail as notification_mail_sql
from finboard.settings import Settings

log = logging.getLogger(__name__)

_AFTER_COMMIT = "finboard.jobs.after_commit"
_COMMITTED = "finboard.jobs.committed"


def enqueue_fanout(session: Session, settings: Settings, kind: str, event_id: int) -> None:
    """The fan-out of a new post or comment, as a job of the session's open transaction."""
    if settings.jobs_queued(session.get_bind().dialect.name):
        session.execute(text(fanout.defer_statement(fanout.colon)), fanout.defer_params(kind, event_id))
    else:
        fanout.defer_params(kind, event_id)  # an unknown kind fails now, in the write, not after it
        session.info.setdefault(_AFTER_COMMIT, []).append(("fanout", settings, (kind, event_id)))


def enqueue_mail(session: Session, settings: Settings, args: dict) -> None:
    """An account mail (``mail_jobs.job_args``), as a job of the session's open transaction."""
    if settings.jobs_queued(session.get_bind().dialect.name):
        session.execute(text(fanout.defer_statement(fanout.colon)), mail_jobs.defer_params(args))
    else:
        session.info.setdefault(_AFTER_COMMIT, []).append(("mail", settings, args))


def enqueue_export(session: Session, settings: Settings, export_id: int) -> None:
    """A "Download my data" archive and its mail (finboard.core.data_export), as a job of the open transaction."""
    if settings.jobs_queued(session.get_bind().dialect.name):
        params = {
            "queue": mail_jobs.MAIL_QUEUE,
            "task": data_export.EXPORT_TASK,
            "args": json.dumps({"export_id": export_id}),
        }
        session.execute(text(fanout.defer_statement(fanout.colon)), params)
    else:
        session.info.setdefault(_AFTER_COMMIT, []).append(("export", settings, export_id))


def _lock(session: Session) -> str:
    return fanout.LOCK_EVENT if session.get_bind().dialect.name == "postgresql" else ""


def _fetch_one(session: Session):
    return lambda sql, params: session.execute(text(sql), params).first()


def run_fanout(session: Session, kind: str, event_id: int, user_range: fanout.UserRange = fanout.EVERYONE) -> int:
    """Notify the event's audiences (those in ``user_range``) in the session's transaction; the
    rows inserted (0 on a repeat)."""

    def insert(sql, params) -> int:
        return session.execute(text(sql), params).rowcount

    return fanout.run_fanout(
        kind, event_id, _fetch_one(session), insert, fanout.colon, lock=_lock(session), user_range=user_range
    )


def notifications_to_mail(session: Session, kind: str, event_id: int) -> list[int]:
    """The event's notifications whose recipients want them mailed at once, not mailed yet (embedded)."""
    sql, params = notification_mail_sql.due_statement(kind, event_id, fanout.colon)
    return list(session.scalars(text(sql), params))


def enqueue_notification_mail(
    session: Session, kind: str, event_id: int, user_range: fanout.UserRange = fanout.EVERYONE
) -> None:
    """Queued: one mail job per notification of the event (in ``user_range``) to mail at once,
    enqueued in the fan-out's own transaction (set-based, PostgreSQL)."""
    sql, params = notification_mail_sql.defer_due_statement(kind, event_id, fanout.colon, user_range)
    session.execute(text(sql), params)


def split_fanout(session: Session, kind: str, event_id: int, chunk: int) -> list[fanout.UserRange]:
    """The queued fan-out's first step: run it here when its audience fits in one chunk, or else
    enqueue one ``FANOUT_RANGE_TASK`` job per range (in this transaction) for the worker to run
    several at once. The ranges enqueued; ``[]`` when it ran here or the event is gone."""
    event = fanout.load_event(kind, event_id, _fetch_one(session), fanout.colon, _lock(session))
    if event is None:
        return []
    fetch_all = lambda sql, params: session.execute(text(sql), params).all()  # noqa: E731
    ranges = fanout.chunk_bounds(event, chunk, fetch_all, fanout.colon)
    if ranges == [fanout.EVERYONE]:
        run_fanout(session, kind, event_id)
        enqueue_notification_mail(session, kind, event_id)
        return []
    defer = text(fanout.defer_statement(fanout.colon))
    for user_range in ranges:
        session.execute(defer, fanout.defer_range_params(kind, event_id, user_range))
    return ranges


@event.listens_for(Session, "after_commit")
def _release_after_commit(session: Session) -> None:
    """The write committed: its jobs may run, once the session has given its connection back."""
    pending = session.info.pop(_AFTER_COMMIT, None)
    if pending:
        session.info.setdefault(_COMMITTED, []).extend(pending)


@event.listens_for(Session, "after_transaction_end")
def _run_committed(session: Session, transaction) -> None:
    """Run the committed write's jobs after its connection is back in the pool.

    ``after_commit`` fires while the session still holds its connection; a job run there
    needs a second one, and a few concurrent writes on a small pool (FastAPI's three)
    then wait on each other until the pool times out. ``after_transaction_end`` of the
    outermost transaction fires after the connection is released.
    """
    if transaction.parent is not None:
        return
    pending = session.info.pop(_COMMITTED, None)
    if not pending:
        return
    bind = session.get_bind()
    for job, first, second in pending:
        if job == "mail":  # the mail thread reads the account, composes and sends
            mail_jobs.send_later(first, functools.partial(mail_jobs.compose_from, bind, first, second))
            continue
        if job == "export":  # the mail thread builds the archive and mails its link
            data_export.send_later(bind, first, second)
            continue
        kind, event_id = second
        try:
            with Session(bind) as job_session, job_session.begin():
                run_fanout(job_session, kind, event_id)
                due = notifications_to_mail(job_session, kind, event_id)
        except SQLAlchemyError:
            log.exception("the %s job %s failed after its commit (embedded jobs are not retried)", job, second)
            continue
        notification_mail.send_later(bind, first, due)


@event.listens_for(Session, "after_rollback")
def _forget_on_rollback(session: Session) -> None:
    session.info.pop(_AFTER_COMMIT, None)
