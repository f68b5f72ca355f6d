"""The job worker: Procrastinate's own worker, with FinBoard's tasks and the retry of dead workers' jobs.

``flask worker`` (cli.py) runs :func:`run_worker`; operators can equally run Procrastinate's
CLI on :func:`procrastinate_app`. Jobs are rows of the database the writes go to
(migration 0007), enqueued in the writer's transaction (finboard.core.jobs), so:

- a job exists iff its write committed; a worker that is down only delays it;
- a task's fan-out and its notifications commit in one transaction, so a worker killed
  mid-job leaves nothing half done: its job stays ``doing`` under a worker whose heartbeat
  stops, and after ``JOBS_STALLED_AFTER`` seconds any live worker puts it back to ``todo``
  (:func:`_housekeeping`, Procrastinate's documented recipe);
- a job run twice (killed after its commit, before Procrastinate marked it done) inserts
  nothing the second time: ``uq_notifications_event`` (``ON CONFLICT DO NOTHING``);
- a fan-out to more than ``JOBS_FANOUT_CHUNK`` ticker followers is split into one job per
  keyset range of members (finboard.rawsql.fanout), which one worker runs ``--concurrency``
  at a time: the rows are the same as unsplit, each range commits (or is retried) alone.

The worker connects with ``Settings.worker_settings()``: ``DATABASE_DIRECT_URL`` when set, so
that it is woken by ``LISTEN`` on a server session of its own. Through PgBouncer's transaction
pooling a LISTEN would be registered on whichever server connection ran it and its
notifications lost, so there the worker does not listen: it polls every ``JOBS_POLL_INTERVAL``
seconds. Either way every connection is begun by ``finboard.rawsql.connect`` (no prepared
statements behind PgBouncer).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import procrastinate
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from finboard.core import account_deletion, data_export, digests, jobs, mail_jobs, notification_mail
from finboard.core.generation_cache import GenerationCache
from finboard.core.pg_sessions import connect_args, prepare_engine
from finboard.rawsql import connect, fanout
from finboard.rawsql import notification_mail as notification_mail_sql
from finboard.settings import ConfigError, Settings

log = logging.getLogger(__name__)

DIGEST_TASK = "finboard.digests"
PURGE_TASK = "finboard.purge_deleted_accounts"
# A failing fan-out (a lost connection, a deadlock) is tried again, waiting 2, 4, 8 ... seconds.
RETRY = procrastinate.RetryStrategy(max_attempts=8, exponential_wait=2)


def procrastinate_app(settings: Settings, concurrency: int = 1, schedule: bool = True) -> procrastinate.App:
    """The Procrastinate app on ``DATABASE_DIRECT_URL`` or ``DATABASE_URL``, with the fan-out tasks (PostgreSQL).

    ``schedule``: with the periodic tasks (digests at 07:00 UTC, the purge of deleted accounts
    hourly), which Procrastinate's scheduler in every long-running worker defers once per tick.
    A worker that only drains the queue (``--exit-when-empty``) leaves them out: it would
    otherwise defer a tick that passed minutes ago."""
    if settings.is_sqlite:
        raise ConfigError(
            "flask worker needs PostgreSQL (the jobs live in it); on SQLite jobs run in-process after each commit"
        )
    settings = settings.worker_settings()  # also for Procrastinate's own CLI on this app
    connector = procrastinate.PsycopgConnector(
        conninfo=settings.psycopg_dsn,
        kwargs=connect.connect_kwargs(settings.database_pgbouncer, utc=False),
    )
    app = procrastinate.App(connector=connector)
    engine = create_engine(
        settings.database_url,
        pool_size=max(2, concurrency),  # one connection per job running at once
        max_overflow=2,
        pool_pre_ping=True,
        connect_args=connect_args(settings, utc=True),
    )
    prepare_engine(engine, settings, utc=True)

    @app.task(name=fanout.FANOUT_TASK, queue=fanout.FANOUT_QUEUE, retry=RETRY)
    def fan_out(event: str, event_id: int) -> int:
        with Session(engine) as session, session.begin():
            ranges = jobs.split_fanout(session, event, event_id, settings.jobs_fanout_chunk)
        log.info("%s %s: %s", event, event_id, f"split into {len(ranges)} jobs" if ranges else "done")
        return len(ranges)

    @app.task(name=fanout.FANOUT_RANGE_TASK, queue=fanout.FANOUT_QUEUE, retry=RETRY)
    def fan_out_range(event: str, event_id: int, user_from: int | None, user_to: int | None) -> int:
        with Session(engine) as session, session.begin():
            inserted = jobs.run_fanout(session, event, event_id, (user_from, user_to))
            jobs.enqueue_notification_mail(session, event, event_id, (user_from, user_to))
        log.info("%s %s, members [%s, %s): %d notifications", event, event_id, user_from, user_to, inserted)
        return inserted

    @app.task(name=mail_jobs.MAIL_TASK, queue=mail_jobs.MAIL_QUEUE, retry=mail_jobs.RETRY)
    def send_mail(args: dict) -> bool:
        """One account mail; a mail server that is down raises MailError and the job runs again later."""
        with Session(engine) as session:
            return mail_jobs.run_mail(session, settings, args)

    @app.task(
        name=notification_mail_sql.NOTIFICATION_MAIL_TASK, queue=notification_mail_sql.MAIL_QUEUE, retry=mail_jobs.RETRY
    )
    def send_notification_mail(notification_id: int) -> bool:
        """One notification mailed at once; a server that is down rolls the claim back and the job runs again."""
        with Session(engine) as session:
            return notification_mail.run_queued(session, settings, notification_id)

    @app.task(name=data_export.EXPORT_TASK, queue=mail_jobs.MAIL_QUEUE, retry=mail_jobs.RETRY)
    def build_data_export(export_id: int) -> bool:
        """A member's archive, built once, and its link mailed (retried while the server is down)."""
        with Session(engine) as session:
            return data_export.run_queued(session, settings, export_id)

    if schedule:
        _scheduled_tasks(app, engine, settings)
    return app


def _scheduled_tasks(app: procrastinate.App, engine, settings: Settings) -> None:
    @app.periodic(cron="0 * * * *", periodic_id="hourly")
    @app.task(name=PURGE_TASK, queue=mail_jobs.MAIL_QUEUE)
    def purge_deleted_accounts(timestamp: int) -> int:
        """Anonymise the accounts whose grace period is over (finboard.core.account_deletion)."""
        done = account_deletion.purge_due(engine, settings)
        if done and settings.cache_enabled:  # the shared read cache (Redis) shows their names or content
            GenerationCache.for_redis(settings.redis_url).invalidate()
        log.info("%d accounts anonymised", done)
        return done

    for period in digests.PERIODS:

        @app.periodic(cron=digests.CRON[period], periodic_id=period, task_kwargs={"period": period})
        @app.task(name=f"{DIGEST_TASK}.{period}", queue=mail_jobs.MAIL_QUEUE)
        def send_digests(timestamp: int, period: str) -> int:
            """This period's digests (the scheduler defers it once per tick, whichever worker runs it)."""
            when = datetime.fromtimestamp(timestamp, tz=UTC)
            run = digests.send_all(engine, settings, period, when)
            log.info("%s digests: %d sent, %d skipped, %d failed", period, run.sent, run.skipped, run.failed)
            return run.sent


# Succeeded jobs are kept this long (for inspection), then deleted; failed ones stay until removed by hand.
KEEP_SUCCEEDED_HOURS = 72
PRUNE_EVERY_S = 3600


async def _housekeeping(app: procrastinate.App, stalled_after: float) -> None:
    """Put the running jobs of workers whose heartbeat stopped back in the queue, now and then; and
    once an hour delete the succeeded jobs older than KEEP_SUCCEEDED_HOURS (the table stays small)."""
    pruned_at = 0.0
    loop = asyncio.get_running_loop()
    while True:
        for job in await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=stalled_after):
            log.warning("retrying job %s of a stalled worker", job.id)
            await app.job_manager.retry_job(job)
        if loop.time() - pruned_at >= PRUNE_EVERY_S:
            await app.job_manager.delete_old_jobs(nb_hours=KEEP_SUCCEEDED_HOURS)
            pruned_at = loop.time()
        await asyncio.sleep(stalled_after / 3)


async def _run(settings: Settings, concurrency: int, wait: bool) -> None:
    settings = settings.worker_settings()
    app = procrastinate_app(settings, concurrency, schedule=wait)
    async with app.open_async():
        housekeeper = asyncio.create_task(_housekeeping(app, settings.jobs_stalled_after))
        try:
            await app.run_worker_async(
                queues=[fanout.FANOUT_QUEUE, mail_jobs.MAIL_QUEUE],
                concurrency=concurrency,
                wait=wait,
                update_heartbeat_interval=settings.jobs_stalled_after / 3,
                stalled_worker_timeout=settings.jobs_stalled_after,
                listen_notify=settings.worker_listens,
                **({} if settings.worker_listens else {"fetch_job_polling_interval": settings.jobs_poll_interval}),
            )
        finally:
            housekeeper.cancel()


def run_worker(settings: Settings, concurrency: int = 1, wait: bool = True) -> None:
    """Run jobs until SIGINT/SIGTERM (finishing the running ones), or until the queue is empty (``wait=False``)."""
    asyncio.run(_run(settings, concurrency, wait))
