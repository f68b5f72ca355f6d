"""Account mail as background jobs: what each kind says, to whom, and when it is sent.

A write that mails (a reset asked for, a sign-up, an e-mail change) never sends in the
request. It records a job in its own transaction (finboard.core.jobs; Django's
``forum/jobs.py``):

- **queue** (PostgreSQL): a Procrastinate job ``finboard.mail`` on the ``mail`` queue,
  run by ``flask worker``; a mail server that is down raises :class:`MailError` and
  Procrastinate runs the job again later (:data:`RETRY`), so the mail is delayed, not lost;
- **embedded** (SQLite): after the commit the job is handed to one background thread of
  this process (:func:`send_later`), which reads the account, composes the message and
  delivers it, retrying a failed delivery a few times (:data:`EMBEDDED_WAITS`) and logging
  the mail if it still fails. The request only hands it over, so it answers in the same
  time whether the job finds an account or not.

The job's arguments hold no secret: the link's token is signed when the job runs, from
the account as it is then. A reset asked for an unknown address is a job too, which
finds nobody and sends nothing — the request does the same work either way, so neither
its answer nor its timing tells whether the address has an account.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from email.message import EmailMessage
from typing import Any

import procrastinate
from sqlalchemy import Engine, create_engine, func, select
from sqlalchemy.orm import Session

from finboard.core import account_tokens
from finboard.core.account_tokens import Account
from finboard.core.mail import MailError, deliver, render
from finboard.core.models import User
from finboard.settings import Settings

log = logging.getLogger("finboard.mail")

MAIL_TASK = "finboard.mail"
MAIL_QUEUE = "mail"
KINDS = ("reset", "verify", "email_change", "email_changed")
# Queue: a mail server that stays down is tried 12 times, 2, 4, 8 … s apart (about 2 h 15 min in all).
RETRY = procrastinate.RetryStrategy(max_attempts=12, exponential_wait=2, retry_exceptions={MailError})
# Embedded: seconds between the attempts of the background thread.
EMBEDDED_WAITS = (1, 2, 4, 8)


def job_args(kind: str, *, user_id: int | None = None, email: str | None = None, **more: str) -> dict[str, Any]:
    if kind not in KINDS:
        raise ValueError(f"no account mail of kind {kind!r} (known: {', '.join(KINDS)})")
    return {"kind": kind, "user_id": user_id, "email": email, **more}


def defer_params(args: dict[str, Any]) -> dict[str, Any]:
    """Parameters of finboard.rawsql.fanout's enqueue statement, for the mail task."""
    return {"queue": MAIL_QUEUE, "task": MAIL_TASK, "args": json.dumps({"args": args})}


def compose(settings: Settings, args: dict[str, Any], user: Account | None) -> EmailMessage | None:
    """The message the job sends, or None when there is nothing to send (nobody, already done)."""
    kind = args["kind"]
    if user is None:
        return None
    secret = settings.secret_key
    if kind == "reset":
        token = account_tokens.make_token(secret, user, "reset")
        return render(settings, kind, user.email, {"user": user, "link": f"{settings.site_url}/account/reset/{token}"})
    if kind == "verify":
        if user.email_verified_at is not None:
            return None
        token = account_tokens.make_token(secret, user, "verify")
        return render(settings, kind, user.email, {"user": user, "link": f"{settings.site_url}/account/verify/{token}"})
    if kind == "email_change":
        new_email = args["new_email"]
        if new_email == user.email:
            return None
        token = account_tokens.make_token(secret, user, "email", new_email)
        link = f"{settings.site_url}/account/email/confirm/{token}"
        return render(settings, kind, new_email, {"user": user, "link": link, "new_email": new_email})
    return render(settings, kind, args["old_email"], {"user": user, "new_email": user.email})


def load_account(session: Session, args: dict[str, Any]) -> User | None:
    if args.get("user_id") is not None:
        return session.get(User, args["user_id"])
    email = str(args.get("email") or "").strip().lower()
    return session.scalars(select(User).where(func.lower(User.email) == email)).first() if email else None


def run_mail(session: Session, settings: Settings, args: dict[str, Any]) -> bool:
    """The queued job: compose from the account as it is now and send; MailError (retried) on failure."""
    message = compose(settings, args, load_account(session, args))
    if message is None:
        log.info("%s mail: nothing to send", args["kind"])
        return False
    deliver(settings, message)
    log.info("%s mail sent to %s", args["kind"], message["To"])
    return True


# --- embedded: one background thread per process ----------------------------------------

_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def _pool() -> ThreadPoolExecutor:
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="finboard-mail")
        return _executor


def _deliver_with_retries(settings: Settings, message: EmailMessage) -> bool:
    for wait in (*EMBEDDED_WAITS, None):
        try:
            deliver(settings, message)
            return True
        except MailError as exc:
            if wait is None:
                log.error("%s; giving up (embedded mail is retried %d times)", exc, len(EMBEDDED_WAITS))
                return False
            log.warning("%s; trying again in %d s", exc, wait)
            time.sleep(wait)
    return False  # pragma: no cover - the loop returns


def send_later(
    settings: Settings,
    make_message: Callable[[], EmailMessage | None],
    on_failure: Callable[[], None] | None = None,
) -> Future:
    """Compose (``make_message``: reads the account) and send from this process's mail thread;
    ``on_failure`` runs there when the mail could not be sent after the retries."""

    def work() -> bool:
        try:
            message = make_message()
        except Exception:  # noqa: BLE001 - the thread outlives any one job: log it, go on
            log.exception("an account mail could not be composed")
            return False
        if message is None:
            return False
        sent = _deliver_with_retries(settings, message)
        if not sent and on_failure is not None:
            try:
                on_failure()
            except Exception:  # noqa: BLE001 - as above
                log.exception("a failed mail could not be cleaned up")
        return sent

    return _pool().submit(work)


_sync_engines: dict[str, Engine] = {}
_ASYNC_DRIVERS = {"sqlite+aiosqlite": "sqlite", "postgresql+psycopg_async": "postgresql+psycopg"}


def thread_bind(bind: Engine) -> Engine:
    """An engine the mail thread can use on the same database: ``bind`` itself, or for an
    async engine's sync face (FastAPI), which needs its event loop, a sync engine of its own."""
    if not bind.dialect.is_async:
        return bind
    url = bind.url.set(drivername=_ASYNC_DRIVERS.get(bind.url.drivername, bind.url.drivername))
    key = url.render_as_string(hide_password=False)
    with _executor_lock:
        if key not in _sync_engines:
            _sync_engines[key] = create_engine(url, pool_size=1, max_overflow=1, pool_pre_ping=True)
        return _sync_engines[key]


def url_engine(database_url: str) -> Engine:
    """The mail thread's engine on ``database_url``, for an adapter that has none (Django)."""
    with _executor_lock:
        if database_url not in _sync_engines:
            _sync_engines[database_url] = create_engine(database_url, pool_size=1, max_overflow=1, pool_pre_ping=True)
        return _sync_engines[database_url]


def compose_from(bind: Engine, settings: Settings, args: dict[str, Any]) -> EmailMessage | None:
    """The embedded job's message, read in the mail thread on its own session."""
    with Session(thread_bind(bind)) as session:
        return compose(settings, args, load_account(session, args))


def wait_idle(timeout: float = 30.0) -> None:
    """Block until every mail handed to the thread so far is sent or given up (tests, shutdown)."""
    _pool().submit(lambda: None).result(timeout=timeout)
