"""Background jobs on a SQLAlchemy session: enqueue in the write's transaction, or run after commit.

A write that must tell an audience (finboard.rawsql.fanout) does not wait for it:

- **queue** (PostgreSQL): the job is a Procrastinate row inserted by
  ``procrastinate_defer_jobs_v1`` inside the write's own transaction, so it exists if and
  only if the write commits; ``flask worker`` (finboard.core.worker) runs it.
- **embedded** (the SQLite default, no worker to run): the job is remembered on the session
  and run in this process right after the commit, in a transaction of its own — never
  inside the write's, which a rollback forgets it with. A job that fails there is logged;
  there is no retry (the README says so).

``Settings.jobs_queued`` decides which. The Flask app and FastAPI (through ``run_sync``)
write through this module; Django's ORM path is ``backends.django.forum.jobs``, on the
same statements.
"""

from __future__ import annotations

import logging

from sqlalchemy import event, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from finboard.rawsql import fanout
from finboard.settings import Settings

log = logging.getLogger(__name__)

_AFTER_COMMIT = "finboard.jobs.after_commit"


def enqueue_fanout(session: Session, settings: Settings, kind: str, event_id: int) -> None:
    """The fan-out of a new post or comment, as a job of the session's open transaction."""
    if settings.jobs_queued(session.get_bind().dialect.name):
        session.execute(text(fanout.defer_statement(fanout.colon)), fanout.defer_params(kind, event_id))
    else:
        fanout.defer_params(kind, event_id)  # an unknown kind fails now, in the write, not after it
        session.info.setdefault(_AFTER_COMMIT, []).append((kind, event_id))


def run_fanout(session: Session, kind: str, event_id: int) -> int:
    """Notify the event's audiences in the session's transaction; the rows inserted (0 on a repeat)."""

    def fetch_one(sql, params):
        return session.execute(text(sql), params).first()

    def insert(sql, params) -> int:
        return session.execute(text(sql), params).rowcount

    return fanout.run_fanout(kind, event_id, fetch_one, insert, fanout.colon)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    pending = session.info.pop(_AFTER_COMMIT, None)
    if not pending:
        return
    bind = session.get_bind()
    for kind, event_id in pending:
        try:
            with Session(bind) as job_session, job_session.begin():
                run_fanout(job_session, kind, event_id)
        except SQLAlchemyError:
            log.exception("the %s %s fan-out failed after its commit (embedded jobs are not retried)", kind, event_id)


@event.listens_for(Session, "after_rollback")
def _forget_on_rollback(session: Session) -> None:
    session.info.pop(_AFTER_COMMIT, None)
