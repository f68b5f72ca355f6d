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

Who gets what is decided when the job runs, for the same reason (an address is *owned*
by the account that confirmed it, finboard.core.account_queries):

- ``verify`` (sign-up, "send the link again"): the link to the account's address — unless
  another account owns that address: then no link, and the owner gets ``signup_attempt``
  ("someone tried to sign up with your address; if it was you, sign in or reset your
  password"). The request enqueued the same job either way.
- ``reset`` by address: the owner's link, or else one link to each unconfirmed account
  with the address (each names its account).
- ``email_change``: the link to the new address, nothing when another account owns it.
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
from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session

from finboard.core import account_queries, account_tokens
from finboard.core.account_tokens import Account
from finboard.core.mail import MailError, deliver, render
from finboard.core.models import User
from finboard.settings import Settings

log = logging.getLogger("finboard.mail")

MAIL_TASK = "finboard.mail"
MAIL_QUEUE = "mail"
KINDS = ("reset", "verify", "email_change", "email_changed")
# Mail a job may send instead of its kind's (not enqueued by itself).
SIGNUP_ATTEMPT = "signup_attempt"
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


def compose(
    settings: Settings, args: dict[str, Any], user: Account | None, owner: Account | None = None
) -> EmailMessage | None:
    """The message the job sends to (or about) ``user``, or None when there is nothing to send
    (nobody, already done). ``owner``: another account that confirmed the address the mail is
    about (``verify``: the account's own, ``email_change``: the new one), if any."""
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
        if owner is not None:  # the address is someone else's: tell its owner, link nobody
            site = settings.site_url
            context = {"user": owner, "login": f"{site}/auth/login", "reset": f"{site}/account/forgot"}
            return render(settings, SIGNUP_ATTEMPT, owner.email, context)
        token = account_tokens.make_token(secret, user, "verify")
        return render(settings, kind, user.email, {"user": user, "link": f"{settings.site_url}/account/verify/{token}"})
    if kind == "email_change":
        new_email = args["new_email"]
        if new_email == user.email or owner is not None:
            return None
        token = account_tokens.make_token(secret, user, "email", new_email)
        link = f"{settings.site_url}/account/email/confirm/{token}"
        return render(settings, kind, new_email, {"user": user, "link": link, "new_email": new_email})
    return render(settings, kind, args["old_email"], {"user": user, "new_email": user.email})


def load_account(session: Session, args: dict[str, Any]) -> User | None:
    """The account a job by id is about (a reset by address: :func:`messages`)."""
    return session.get(User, args["user_id"]) if args.get("user_id") is not None else None


def _owner(session: Session, args: dict[str, Any], user: User | None) -> User | None:
    """Another account that confirmed the address a ``verify`` or ``email_change`` mail is about."""
    address = {"verify": user.email if user else None, "email_change": args.get("new_email")}.get(args["kind"])
    return account_queries.address_owner(session, address, other_than=user.id) if user and address else None


def messages(session: Session, settings: Settings, args: dict[str, Any]) -> list[EmailMessage]:
    """Every message the job sends, composed from the accounts as they are now ([]: nothing)."""
    if args["kind"] == "reset" and args.get("user_id") is None:
        accounts = account_queries.reset_accounts(session, str(args.get("email") or ""))
        composed = [compose(settings, args, account) for account in accounts]
    else:
        user = load_account(session, args)
        composed = [compose(settings, args, user, _owner(session, args, user))]
    return [message for message in composed if message is not None]


def run_mail(session: Session, settings: Settings, args: dict[str, Any]) -> bool:
    """The queued job: compose from the accounts as they are now and send; MailError (retried)
    on failure (a retry sends every message of the job again)."""
    composed = messages(session, settings, args)
    if not composed:
        log.info("%s mail: nothing to send", args["kind"])
        return False
    for message in composed:
        deliver(settings, message)
        log.info("%s job: mail sent to %s", args["kind"], message["To"])
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
    make_message: Callable[[], EmailMessage | list[EmailMessage] | None],
    on_failure: Callable[[], None] | None = None,
) -> Future:
    """Compose (``make_message``: reads the account; one message, several or none) and send
    from this process's mail thread; ``on_failure`` runs there when a mail could not be sent
    after the retries."""

    def work() -> bool:
        try:
            made = make_message()
        except Exception:  # noqa: BLE001 - the thread outlives any one job: log it, go on
            log.exception("an account mail could not be composed")
            return False
        composed = made if isinstance(made, list) else [made] if made is not None else []
        if not composed:
            return False
        sent = all([_deliver_with_retries(settings, message) for message in composed])
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


def compose_from(bind: Engine, settings: Settings, args: dict[str, Any]) -> list[EmailMessage]:
    """The embedded job's messages, read in the mail thread on its own session (every
    backend's: Django's too, on :func:`url_engine`, so one module decides who gets what)."""
    with Session(thread_bind(bind)) as session:
        return messages(session, settings, args)


def wait_idle(timeout: float = 30.0) -> None:
    """Block until every mail handed to the thread so far is sent or given up (tests, shutdown)."""
    _pool().submit(lambda: None).result(timeout=timeout)
