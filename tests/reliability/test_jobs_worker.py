"""``flask worker`` for real, on PostgreSQL: it drains the queue, and a worker killed mid-job
(SIGKILL) leaves its job to be retried, with exactly one set of notifications in the end."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from tests.jobs_support import (
    WorkerProcess,
    build_board,
    empty_board_and_queue,
    job_statuses,
    notifications_of,
    settings_for,
    wait_until,
)

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_url(postgres_url):
    return empty_board_and_queue(postgres_url)


def _dsn(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def test_the_worker_drains_the_queue(pg_url, tmp_path):
    with Session(create_engine(pg_url)) as session:
        board = build_board(session, settings_for(pg_url, "queue"), followers=500)
    assert [status for status, _, _ in job_statuses(pg_url)] == ["todo", "todo"]
    worker = WorkerProcess(pg_url, "--exit-when-empty", log=tmp_path / "worker.log")
    try:
        assert worker.wait(timeout=60) == 0, (tmp_path / "worker.log").read_text()
    finally:
        worker.stop()
    assert [status for status, _, _ in job_statuses(pg_url)] == ["succeeded", "succeeded"]
    assert notifications_of(pg_url, board.post_id, comment=False) == board.expected_post
    assert len(board.expected_post) > 500
    assert notifications_of(pg_url, board.post_id, comment=True) == board.expected_comment


def test_a_worker_killed_mid_job_leaves_it_to_be_retried_once(pg_url, tmp_path):
    """The job blocks half-way (its first audience inserted, the next one waiting on a row another
    transaction holds), the worker is SIGKILLed there, and a second worker finishes it."""
    with Session(create_engine(pg_url)) as session:
        board = build_board(session, settings_for(pg_url, "queue"))
    ticker_member = next(user for user, kind, _ in board.expected_post if kind == "ticker")
    blocker = psycopg.connect(_dsn(pg_url))
    # An uncommitted row with the key the fan-out will insert for a ticker follower: its INSERT waits.
    blocker.execute(
        "INSERT INTO notifications (user_id, kind, actor_id, post_id, comment_id, ticker, created_at) "
        "SELECT %s, 'ticker', author_id, id, NULL, 'AAPL', created_at FROM posts WHERE id = %s",
        (ticker_member, board.post_id),
    )
    first = WorkerProcess(pg_url, log=tmp_path / "first.log")
    second = None
    try:
        with psycopg.connect(_dsn(pg_url), autocommit=True) as watcher:

            def fanout_waits_on_the_lock() -> bool:
                waiting = watcher.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND query LIKE 'INSERT INTO notifications%%' AND datname = current_database()"
                ).fetchone()[0]
                return waiting == 1

            wait_until(fanout_waits_on_the_lock, 30, "the first worker's fan-out to block mid-job")
            assert [status for status, _, _ in job_statuses(pg_url)][0] == "doing"
            first.kill()
        blocker.rollback()  # the blocking row goes; the killed worker's own inserts went with its connection
        blocker.close()
        assert notifications_of(pg_url, board.post_id, comment=False) == []
        second = WorkerProcess(pg_url, log=tmp_path / "second.log")
        wait_until(
            lambda: [status for status, _, _ in job_statuses(pg_url)] == ["succeeded", "succeeded"],
            60,
            "the second worker to retry the stalled job and run the next",
        )
    finally:
        first.stop()
        if second:
            second.stop()
    (post_job, comment_job) = job_statuses(pg_url)
    assert post_job[2] == 2, "the killed attempt counts: the job ran twice"
    assert notifications_of(pg_url, board.post_id, comment=False) == board.expected_post
    assert notifications_of(pg_url, board.post_id, comment=True) == board.expected_comment
    log = (tmp_path / "second.log").read_text()
    assert "retrying job 1 of a stalled worker" in log, log


def test_a_split_fanout_runs_its_ranges_at_once_and_a_killed_range_is_retried(pg_url, tmp_path):
    """JOBS_FANOUT_CHUNK=20 splits the post's 45 ticker followers into 3 range jobs. The last range
    blocks (as above), the worker runs the others meanwhile and is SIGKILLed; a second worker
    retries only the killed range, and the rows are exactly the unsplit fan-out's."""
    with Session(create_engine(pg_url)) as session:
        board = build_board(session, settings_for(pg_url, "queue"), followers=40)
    last_member = max(user for user, kind, _ in board.expected_post if kind == "ticker")
    blocker = psycopg.connect(_dsn(pg_url))
    blocker.execute(
        "INSERT INTO notifications (user_id, kind, actor_id, post_id, comment_id, ticker, created_at) "
        "SELECT %s, 'ticker', author_id, id, NULL, 'AAPL', created_at FROM posts WHERE id = %s",
        (last_member, board.post_id),
    )
    env = {"JOBS_FANOUT_CHUNK": "20"}
    first = WorkerProcess(pg_url, "--concurrency", "3", log=tmp_path / "first.log", env=env)
    second = None

    def statuses() -> list[str]:
        return [status for status, _, _ in job_statuses(pg_url)]

    try:
        wait_until(
            lambda: statuses() == ["succeeded", "succeeded", "succeeded", "succeeded", "doing"],
            30,
            "the split, the comment and two ranges done, the last range blocked",
        )
        first.kill()
        blocker.rollback()
        blocker.close()
        assert len(notifications_of(pg_url, board.post_id, comment=False)) == 40 - 1, "two ranges of 20, less ann"
        second = WorkerProcess(pg_url, log=tmp_path / "second.log", env=env)
        wait_until(lambda: statuses() == ["succeeded"] * 5, 60, "the second worker to retry the killed range")
    finally:
        first.stop()
        if second:
            second.stop()
    assert [attempts for _, _, attempts in job_statuses(pg_url)] == [1, 1, 1, 1, 2]
    assert notifications_of(pg_url, board.post_id, comment=False) == board.expected_post
    assert notifications_of(pg_url, board.post_id, comment=True) == board.expected_comment
