"""Shared by the background-job tests: a board with overlapping audiences, its expected
notifications (the contract's pure rules), the rows the fan-out left, and a real worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from finboard.contract.notifications import new_comment_recipients, new_post_recipients
from finboard.core import account_queries, content_writes, jobs, watches
from finboard.core.models import Category, CategoryWatch, Notification, PostWatch, TickerFollow
from finboard.rawsql.fanout import FANOUT_QUEUE
from finboard.settings import load_settings
from tests.databases import empty_tables

ROOT = Path(__file__).resolve().parents[1]
SECRET = "jobs-test-secret-key-0123456789abcdef"


def empty_board_and_queue(url: str) -> str:
    """``url`` with every data table and the job queue (jobs and workers) emptied; returned for fixtures."""
    empty_tables(url)
    with create_engine(url).begin() as conn:
        conn.execute(text("TRUNCATE procrastinate_jobs, procrastinate_workers RESTART IDENTITY CASCADE"))
    return url


def settings_for(url: str, runner: str = "auto", **more: str):
    return load_settings({"DATABASE_URL": url, "SECRET_KEY": SECRET, "JOBS_RUNNER": runner, **more})


@dataclass
class Board:
    """Members in several audiences at once, a post and a comment that tell them."""

    post_id: int
    comment_id: int
    expected_post: list[tuple[int, str, str | None]]
    expected_comment: list[tuple[int, str, str | None]]


def build_board(session: Session, settings, *, followers: int = 0) -> Board:
    """Author ann (who watches and follows, and mentions herself: never told), bob (mentioned, follows
    both tickers, watches the category: a mention), cat (watches the category and follows: new_post),
    dan (follows TSLA only), eve (follows both: the post's first ticker, TSLA, is named), plus
    ``followers`` extra followers of AAPL. The post and the comment are written through core's
    write path with ``settings`` (queued or run after commit)."""
    names = ("ann", "bob", "cat", "dan", "eve")
    users = {name: account_queries.create_user(session, name, f"{name}@example.com", "x") for name in names}
    category = session.scalars(select(Category).where(Category.slug == "stocks")).one()
    ids = {name: user.id for name, user in users.items()}
    for name in ("ann", "bob", "cat"):
        session.add(CategoryWatch(user_id=ids[name], category_id=category.id))
    follows = [("ann", "AAPL"), ("bob", "AAPL"), ("bob", "TSLA"), ("cat", "AAPL"), ("dan", "TSLA"),
               ("eve", "AAPL"), ("eve", "TSLA")]  # fmt: skip
    session.add_all(TickerFollow(user_id=ids[name], ticker=ticker) for name, ticker in follows)
    session.flush()
    if followers:
        add_followers(session, "AAPL", followers)
    body = "$TSLA then $AAPL, cc @bob @ann"
    post = content_writes.create_post(session, users["ann"], category, "Rotation @bob_nobody", body)
    watches.watch_post(session, ids["ann"], post.id)
    session.add(PostWatch(user_id=ids["dan"], post_id=post.id))
    jobs.enqueue_fanout(session, settings, "post", post.id)
    comment = content_writes.create_comment(session, post, users["dan"], "@cat have a look")
    jobs.enqueue_fanout(session, settings, "comment", comment.id)
    session.commit()
    all_follows = [tuple(row) for row in session.execute(select(TickerFollow.user_id, TickerFollow.ticker))]
    watchers = list(session.scalars(select(CategoryWatch.user_id).where(CategoryWatch.category_id == category.id)))
    post_watchers = list(session.scalars(select(PostWatch.user_id).where(PostWatch.post_id == post.id)))
    return Board(
        post_id=post.id,
        comment_id=comment.id,
        expected_post=new_post_recipients(
            ids["ann"], [ids["bob"], ids["ann"]], watchers, all_follows, ["TSLA", "AAPL"]
        ),
        expected_comment=new_comment_recipients(ids["dan"], [ids["cat"]], ids["ann"], post_watchers),
    )


def add_followers(session: Session, ticker: str, count: int, start: int = 0) -> None:
    """``count`` members who follow ``ticker`` (set-based, so 100,000 take a second or two)."""
    session.execute(
        text(
            "INSERT INTO users (username, email, password_hash, role, created_at) "
            "SELECT 'fan' || (:start + n), 'fan' || (:start + n) || '@example.com', 'x', 'member', CURRENT_TIMESTAMP "
            "FROM (WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < :count) SELECT n FROM s) q"
        ),
        {"start": start, "count": count},
    )
    session.execute(
        text("INSERT INTO ticker_follows (user_id, ticker) SELECT id, :ticker FROM users WHERE username LIKE 'fan%'"),
        {"ticker": ticker},
    )


def notifications_of(url: str, post_id: int, comment: bool) -> list[tuple[int, str, str | None]]:
    """The (user, kind, ticker) rows of a post's own notifications or of its comments', by user."""
    engine = create_engine(url)
    with Session(engine) as session:
        which = Notification.comment_id.is_not(None) if comment else Notification.comment_id.is_(None)
        rows = session.execute(
            select(Notification.user_id, Notification.kind, Notification.ticker)
            .where(Notification.post_id == post_id, which)
            .order_by(Notification.user_id, Notification.id)
        )
        result = [tuple(row) for row in rows]
    engine.dispose()
    return result


def job_statuses(url: str) -> list[tuple[str, dict, int]]:
    """(status, args, attempts) of every fan-out job, oldest first.

    Only the fan-out queue: a long-running worker's scheduler also defers the periodic tasks
    (the hourly purge, the digests) when it starts within minutes of their tick, on the mail
    queue; counted here, they failed the tests run in the first minutes of an hour."""
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT status, args, attempts FROM procrastinate_jobs WHERE queue_name = :q ORDER BY id"),
            {"q": FANOUT_QUEUE},
        )
        result = [(row[0], row[1], row[2]) for row in rows]
    engine.dispose()
    return result


class WorkerProcess:
    """``flask worker`` in a subprocess on ``url``'s database: the real thing, started and stopped by id."""

    def __init__(
        self, url: str, *args: str, stalled_after: float = 2.0, log: Path | None = None, env: dict | None = None
    ):
        env = {
            # Account mail goes to a throwaway outbox, never the checkout's instance/ folder.
            "MAIL_OUTBOX": str(Path(os.environ.get("TMPDIR", "/tmp")) / f"finboard-test-outbox-{os.getpid()}"),
            **os.environ,
            **(env or {}),
            "DATABASE_URL": url,
            "SECRET_KEY": SECRET,
            "JOBS_STALLED_AFTER": str(stalled_after),
            "FLASK_APP": "wsgi",
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        self.log = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "flask", "worker", *args],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def wait(self, timeout: float) -> int:
        return self.process.wait(timeout=timeout)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        if self.log is not subprocess.DEVNULL:
            self.log.close()


def wait_until(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
