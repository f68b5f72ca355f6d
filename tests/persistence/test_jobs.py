"""The set-based fan-out and its enqueueing, on both databases and both persistence paths.

- the rows equal the contract's pure rules (kinds, precedence, the author never told);
- running a fan-out again inserts nothing (the job's idempotence, uq_notifications_event);
- Django's cursor path inserts the very same rows;
- a queued job exists iff the write commits (PostgreSQL, Procrastinate's table);
- the embedded default (SQLite) runs the job right after commit, and a rollback forgets it.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session

from finboard.contract.posts import PostCreate
from finboard.core import account_queries, api_service, content_writes, jobs
from finboard.core.models import Category, Notification, Post, User
from finboard.settings import ConfigError
from tests.databases import empty_tables
from tests.jobs_support import (
    ROOT,
    SECRET,
    build_board,
    empty_board_and_queue,
    job_statuses,
    notifications_of,
    settings_for,
)


@pytest.fixture(params=["sqlite", "postgres"])
def url(request):
    url = request.getfixturevalue(f"{request.param}_url")
    empty_tables(url)
    if request.param == "postgres":
        with create_engine(url).begin() as conn:
            conn.execute(text("TRUNCATE procrastinate_jobs RESTART IDENTITY CASCADE"))
    return url


@pytest.fixture
def pg_url(postgres_url):
    return empty_board_and_queue(postgres_url)


def _django_env(url: str) -> dict[str, str]:
    django = {"DJANGO_SETTINGS_MODULE": "backends.django.settings"}
    return {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET, **django}


def _session(url: str) -> Session:
    return Session(create_engine(url))


def test_embedded_fanout_follows_the_contract_and_repeats_nothing(url):
    with _session(url) as session:
        board = build_board(session, settings_for(url, "embedded"))
    assert notifications_of(url, board.post_id, comment=False) == board.expected_post
    assert notifications_of(url, board.post_id, comment=True) == board.expected_comment
    kinds = {kind for _, kind, _ in board.expected_post + board.expected_comment}
    assert kinds == {"mention", "new_post", "ticker", "reply"}, "the board must exercise every precedence"
    with _session(url) as session, session.begin():
        assert jobs.run_fanout(session, "post", board.post_id) == 0
        assert jobs.run_fanout(session, "comment", board.comment_id) == 0
    assert notifications_of(url, board.post_id, comment=False) == board.expected_post


def test_a_gone_event_tells_nobody_and_an_unknown_kind_is_refused(url):
    with _session(url) as session, session.begin():
        assert jobs.run_fanout(session, "post", 424242) == 0
        with pytest.raises(ValueError, match="no fan-out for events of kind 'vote'"):
            jobs.run_fanout(session, "vote", 1)


def test_django_inserts_the_same_rows(url):
    with _session(url) as session:
        board = build_board(session, settings_for(url, "embedded"))
    reference = notifications_of(url, board.post_id, False), notifications_of(url, board.post_id, True)
    with create_engine(url).begin() as conn:
        conn.execute(text("DELETE FROM notifications"))
    script = (
        "import sys, django; django.setup()\n"
        "from django.db import transaction\n"
        "from backends.django.forum.jobs import run_fanout\n"
        "with transaction.atomic():\n"
        "    print(run_fanout('post', int(sys.argv[1])), run_fanout('comment', int(sys.argv[2])))\n"
        "with transaction.atomic():\n"
        "    print(run_fanout('post', int(sys.argv[1])), run_fanout('comment', int(sys.argv[2])))\n"
    )
    env = _django_env(url)
    out = subprocess.run(
        [sys.executable, "-c", script, str(board.post_id), str(board.comment_id)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True,
    ).stdout.split("\n")  # fmt: skip
    assert out[0] == f"{len(reference[0])} {len(reference[1])}" and out[1] == "0 0", out
    assert (notifications_of(url, board.post_id, False), notifications_of(url, board.post_id, True)) == reference


def _jobs(url: str) -> list[tuple[str, dict, int]]:
    return job_statuses(url)


def test_a_queued_job_exists_iff_the_write_commits(pg_url):
    settings = settings_for(pg_url, "queue")
    with _session(pg_url) as session:
        author = account_queries.create_user(session, "ann", "ann@example.com", "x")
        session.commit()
        category = session.scalars(select(Category).where(Category.slug == "stocks")).one()
        post = content_writes.create_post(session, author, category, "Rolled back $AAPL", "never written")
        jobs.enqueue_fanout(session, settings, "post", post.id)
        session.rollback()
        assert _jobs(pg_url) == [] and session.scalar(select(func.count()).select_from(Post)) == 0
        payload = PostCreate(title="Kept $AAPL", body="written", category="stocks")
        created = api_service.create_post(session, settings, session.get(User, author.id), payload)
    assert _jobs(pg_url) == [("todo", {"event": "post", "event_id": created.id}, 0)]
    assert notifications_of(pg_url, created.id, comment=False) == [], "queued: nothing runs before a worker"


def test_the_embedded_default_runs_after_commit_and_forgets_a_rollback(sqlite_url):
    empty_tables(sqlite_url)
    settings = settings_for(sqlite_url)  # auto: SQLite runs jobs in-process
    assert not settings.jobs_queued("sqlite")
    with _session(sqlite_url) as session:
        ann = account_queries.create_user(session, "ann", "ann@example.com", "x")
        bob = account_queries.create_user(session, "bob", "bob@example.com", "x")
        session.commit()
        category = session.scalars(select(Category).where(Category.slug == "stocks")).one()
        post = content_writes.create_post(session, ann, category, "Hello @bob", "rolled back")
        jobs.enqueue_fanout(session, settings, "post", post.id)
        session.rollback()
        assert session.scalar(select(func.count()).select_from(Notification)) == 0
        post = content_writes.create_post(session, ann, category, "Hello @bob", "kept")
        jobs.enqueue_fanout(session, settings, "post", post.id)
        session.flush()
        assert session.scalar(select(func.count()).select_from(Notification)) == 0, "not inside the transaction"
        post_id, bob_id = post.id, bob.id
        session.commit()
        assert notifications_of(sqlite_url, post_id, comment=False) == [(bob_id, "mention", None)]
        with session.begin():  # the next transaction on the same session starts clean: nothing runs twice
            session.execute(text("DELETE FROM notifications"))
    assert notifications_of(sqlite_url, post_id, comment=False) == []


def test_an_embedded_job_waits_for_the_write_to_give_its_connection_back(postgres_url):
    """On a pool of one connection the job still runs: it starts after the write's session
    has returned its connection (a job run while the write still held it would wait for a
    second one, and concurrent writes on FastAPI's small pool timed out that way)."""
    empty_board_and_queue(postgres_url)
    engine = create_engine(postgres_url, pool_size=1, max_overflow=0, pool_timeout=2)
    settings = settings_for(postgres_url, "embedded")
    with Session(engine) as session:
        ann = account_queries.create_user(session, "ann", "ann@example.com", "x")
        bob = account_queries.create_user(session, "bob", "bob@example.com", "x")
        session.commit()
        category = session.scalars(select(Category).where(Category.slug == "stocks")).one()
        post = content_writes.create_post(session, ann, category, "Hello @bob", "one connection")
        jobs.enqueue_fanout(session, settings, "post", post.id)
        post_id, bob_id = post.id, bob.id
        session.commit()
    assert notifications_of(postgres_url, post_id, comment=False) == [(bob_id, "mention", None)]
    engine.dispose()


def test_a_queue_on_sqlite_is_a_configuration_error(sqlite_url):
    with pytest.raises(ConfigError, match="JOBS_RUNNER=queue needs PostgreSQL"):
        settings_for(sqlite_url, "queue").jobs_queued("sqlite")


def test_the_job_is_the_same_from_every_backend(pg_url):
    """Django's enqueue writes the same job as core's (the worker cannot tell them apart)."""
    script = (
        "import django; django.setup()\n"
        "from django.db import transaction\n"
        "from backends.django.forum.jobs import enqueue_fanout\n"
        "with transaction.atomic():\n"
        "    enqueue_fanout('comment', 7)\n"
        "try:\n"
        "    with transaction.atomic():\n"
        "        enqueue_fanout('post', 8)\n"
        "        raise RuntimeError('the write fails')\n"
        "except RuntimeError:\n"
        "    pass\n"
    )
    env = _django_env(pg_url)
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, timeout=60, check=True)
    with _session(pg_url) as session, session.begin():
        jobs.enqueue_fanout(session, settings_for(pg_url), "comment", 7)
    rows = _jobs(pg_url)
    assert rows == [("todo", {"event": "comment", "event_id": 7}, 0)] * 2, rows
    with create_engine(pg_url).connect() as conn:
        tasks = conn.execute(text("SELECT DISTINCT task_name, queue_name FROM procrastinate_jobs")).all()
    assert tasks == [("finboard.fanout", "notifications")]


def test_flask_worker_on_sqlite_says_why_it_cannot_run(sqlite_url):
    env = {**os.environ, "DATABASE_URL": sqlite_url, "SECRET_KEY": SECRET, "FLASK_APP": "wsgi"}
    result = subprocess.run(
        [sys.executable, "-m", "flask", "worker"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert "flask worker needs PostgreSQL" in result.stderr and "in-process after each commit" in result.stderr
