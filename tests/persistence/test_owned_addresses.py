"""An address is owned once confirmed: the unique index decides races, the queued job decides mail.

- two confirmations of one address at once (two accounts carry it, both follow their link):
  exactly one commits, the other is a 409 and changes nothing — with one confirmation held
  open until the other is waiting on it, and with both let go at one moment, on SQLite and
  PostgreSQL;
- queued (PostgreSQL): a sign-up with a fresh address and one with an owned address enqueue
  the same job; the worker mails the fresh one its link and tells the owner of the other,
  and the newcomer gets nothing.
"""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from finboard.contract.accounts import ADDRESS_CONFIRMED_ELSEWHERE
from finboard.contract.errors import ApiError
from finboard.contract.users import UserCreate
from finboard.core import account_queries, account_service, account_tokens, api_service, worker
from finboard.core.models import User
from finboard.core.security import hash_password
from tests.databases import empty_tables
from tests.jobs_support import SECRET, empty_board_and_queue, settings_for
from tests.mail_support import SmtpServer

PASSWORD_HASH = hash_password("pass-word-1")
REFUSED = f"409 {ADDRESS_CONFIRMED_ELSEWHERE}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request) -> str:
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")
    empty_tables(url)
    return url


def _holders(engine, address: str, names: tuple[str, ...]) -> list[str]:
    """Unconfirmed accounts that all carry ``address``; their verification links."""
    with Session(engine) as session:
        users = [account_queries.create_user(session, name, address, PASSWORD_HASH) for name in names]
        session.commit()
        return [account_tokens.make_token(SECRET, user, "verify") for user in users]


def _confirm(engine, settings, token: str, ready: threading.Barrier | None = None) -> str:
    with Session(engine) as session:
        if ready is not None:
            ready.wait()
        try:
            account_service.verify_email(session, settings, token)
        except ApiError as exc:
            return f"{exc.status} {next(iter(exc.fields.values()))}"
        return "confirmed"


def _confirmed(engine, address: str) -> list[str]:
    with engine.connect() as conn:
        sql = "SELECT username FROM users WHERE email = :e AND email_verified_at IS NOT NULL"
        return list(conn.execute(text(sql), {"e": address}).scalars())


def test_a_confirmation_waiting_on_another_loses_to_it(database_url):
    """Ann's confirmation is held open; Bea's, started meanwhile, waits on it and then fails."""
    engine, settings = create_engine(database_url), settings_for(database_url)
    _, bea_link = _holders(engine, "held@example.com", ("ann", "bea"))
    with engine.connect() as held:
        held.execute(text("UPDATE users SET email_verified_at = created_at WHERE username = 'ann'"))
        with ThreadPoolExecutor(1) as pool:
            bea = pool.submit(_confirm, engine, settings, bea_link)
            time.sleep(0.5)
            assert not bea.done()  # waiting on ann's uncommitted confirmation (the index, or SQLite's lock)
            held.commit()
            assert bea.result(timeout=10) == REFUSED
    assert _confirmed(engine, "held@example.com") == ["ann"]
    engine.dispose()


def test_of_two_confirmations_at_once_exactly_one_wins(database_url):
    engine, settings = create_engine(database_url), settings_for(database_url)
    for round_ in range(5):
        address = f"race{round_}@example.com"
        links = _holders(engine, address, (f"ann{round_}", f"bea{round_}"))
        ready = threading.Barrier(2)
        with ThreadPoolExecutor(2) as pool:
            outcomes = sorted(pool.map(_confirm, [engine] * 2, [settings] * 2, links, [ready] * 2))
        assert outcomes == [REFUSED, "confirmed"], round_
        (winner,) = _confirmed(engine, address)
        with engine.connect() as conn:  # the loser's row is as it was
            loser = conn.execute(
                text("SELECT email, email_verified_at FROM users WHERE email = :e AND username <> :w"),
                {"e": address, "w": winner},
            ).one()
        assert loser == (address, None)
    engine.dispose()


@pytest.fixture(scope="module")
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.mark.postgres
def test_queued_sign_ups_enqueue_alike_and_the_worker_tells_the_owner(postgres_url, smtp):
    url = empty_board_and_queue(postgres_url)
    settings = settings_for(url, MAIL_URL=smtp.url, SITE_URL="http://forum.test")
    engine = create_engine(url)
    with Session(engine) as session:
        owner = account_queries.create_user(session, "ann", "ann@example.com", PASSWORD_HASH)
        owner.email_verified_at = owner.created_at
        session.commit()
        fresh = api_service.register(session, UserCreate(username="bea", email="bea@example.com",
                                                         password="pass-word-2"), settings)  # fmt: skip
        taken = api_service.register(session, UserCreate(username="cid", email="ANN@example.com",
                                                         password="pass-word-3"), settings)  # fmt: skip
    with engine.connect() as conn:
        queued = conn.execute(
            text("SELECT args FROM procrastinate_jobs WHERE task_name = 'finboard.mail' ORDER BY id")
        ).scalars()
        queued = [args if isinstance(args, dict) else json.loads(args) for args in queued]
    assert queued == [
        {"args": {"kind": "verify", "user_id": fresh.id, "email": None}},
        {"args": {"kind": "verify", "user_id": taken.id, "email": None}},
    ]  # one job each, alike: nothing in the request told the addresses apart
    smtp.clear()
    worker.run_worker(settings, wait=False)
    sent = sorted((m["To"], m["Subject"]) for m in smtp.inbox.messages)
    assert sent == [
        ("ann@example.com", "Someone tried to sign up to FinBoard with your address"),
        ("bea@example.com", "Confirm your e-mail address for FinBoard"),
    ]
    with Session(engine) as session:
        assert session.get(User, taken.id).email == "ann@example.com"
        assert session.get(User, taken.id).email_verified_at is None
    engine.dispose()
