"""finboard.core.jobs on Django's connection: the same job, enqueued or run after commit alike.

On PostgreSQL the write's own transaction calls Procrastinate's enqueue function through
``connection.cursor()`` — the statement finboard.rawsql.fanout writes for every backend —
so ``flask worker`` runs the same job whichever backend took the write. In embedded mode
(SQLite) ``transaction.on_commit`` runs the fan-out after the commit, in its own atomic
block. Account mail (finboard.core.mail_jobs) takes the same two paths (:func:`enqueue_mail`).
The fan-out itself is the shared set-based SQL run with ``cursor.execute``: a
Django engineer would reach for raw SQL here too, as the ORM has no ``INSERT ... SELECT``
(``bulk_create`` would bring every follower's row into Python, the cost this removes).
"""

from __future__ import annotations

import functools
import logging

from django.db import DatabaseError, connection, transaction

from backends.django.forum.runtime import finboard_settings
from finboard.core import mail_jobs, notification_mail
from finboard.rawsql import fanout
from finboard.rawsql import notification_mail as notification_mail_sql

log = logging.getLogger(__name__)


def enqueue_fanout(kind: str, event_id: int) -> None:
    """The fan-out of a new post or comment, as a job of the open transaction."""
    params = fanout.defer_params(kind, event_id)
    if finboard_settings().jobs_queued(connection.vendor):
        with connection.cursor() as cursor:
            cursor.execute(fanout.defer_statement(fanout.pyformat), params)
    else:
        transaction.on_commit(lambda: _run_after_commit(kind, event_id))


def run_fanout(kind: str, event_id: int) -> int:
    """Notify the event's audiences in the current transaction; the rows inserted (0 on a repeat)."""
    with connection.cursor() as cursor:

        def fetch_one(sql, params):
            cursor.execute(sql, params)
            return cursor.fetchone()

        def insert(sql, params) -> int:
            cursor.execute(sql, params)
            return cursor.rowcount

        lock = fanout.LOCK_EVENT if connection.vendor == "postgresql" else ""
        return fanout.run_fanout(kind, event_id, fetch_one, insert, fanout.pyformat, lock=lock)


def _run_after_commit(kind: str, event_id: int) -> None:
    try:
        with transaction.atomic():
            run_fanout(kind, event_id)
            with connection.cursor() as cursor:
                cursor.execute(*notification_mail_sql.due_statement(kind, event_id, fanout.pyformat))
                due = [row[0] for row in cursor.fetchall()]
    except DatabaseError:
        log.exception("the %s %s fan-out failed after its commit (embedded jobs are not retried)", kind, event_id)
        return
    # Notifications mailed at once: the shared mail thread claims, composes and sends them.
    settings = finboard_settings()
    notification_mail.send_later_on(settings.database_url, settings, due)


def enqueue_mail(args: dict) -> None:
    """An account mail (``mail_jobs.job_args``), as a job of the open transaction."""
    if finboard_settings().jobs_queued(connection.vendor):
        with connection.cursor() as cursor:
            cursor.execute(fanout.defer_statement(fanout.pyformat), mail_jobs.defer_params(args))
    else:
        transaction.on_commit(lambda: _mail_after_commit(args))


def _mail_after_commit(args: dict) -> None:
    """Embedded: the mail thread reads the accounts, composes and sends (the request only hands
    it over) — through finboard.core.mail_jobs on the same database, as the queued job does, so
    one module decides who gets what (the address's owner, a link, nothing)."""
    settings = finboard_settings()
    engine = mail_jobs.url_engine(settings.database_url)
    mail_jobs.send_later(settings, functools.partial(mail_jobs.compose_from, engine, settings, args))
