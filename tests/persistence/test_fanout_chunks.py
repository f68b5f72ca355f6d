"""A large fan-out split into keyset ranges of members (issue 16, point 2), on both databases.

- the ranges together insert exactly the rows of the unsplit fan-out, whatever the chunk size
  and in whatever order the ranges run (the worker runs several at once);
- a range run again inserts nothing (a retried job);
- an audience that fits in one chunk is not split, and runs in the first job;
- on PostgreSQL the split enqueues one job per range in the first job's transaction, the job
  holds the post against a concurrent delete, and deleting a post or its author still deletes
  its notifications (migration 0012 replaced two foreign keys by a trigger and that lock;
  an actor's notifications go with the actor's posts and comments, which cascade from users).
"""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from finboard.core import jobs
from finboard.rawsql import fanout
from tests.databases import empty_tables
from tests.jobs_support import build_board, empty_board_and_queue, job_statuses, notifications_of, settings_for


@pytest.fixture(params=["sqlite", "postgres"])
def url(request):
    url = request.getfixturevalue(f"{request.param}_url")
    if request.param == "postgres":
        return empty_board_and_queue(url)
    empty_tables(url)
    return url


def _ranges(engine, post_id: int, chunk: int) -> list[fanout.UserRange]:
    with Session(engine) as session:
        event = fanout.load_event("post", post_id, lambda sql, p: session.execute(text(sql), p).first(), fanout.colon)
        fetch_all = lambda sql, p: session.execute(text(sql), p).all()  # noqa: E731
        return fanout.chunk_bounds(event, chunk, fetch_all, fanout.colon)


def _run(engine, post_id: int, user_range: fanout.UserRange) -> int:
    with Session(engine) as session, session.begin():
        return jobs.run_fanout(session, "post", post_id, user_range)


def test_ranges_insert_exactly_the_unsplit_rows_once(url):
    engine = create_engine(url)
    with Session(engine) as session:
        board = build_board(session, settings_for(url, "queue" if "postgresql" in url else "embedded"), followers=40)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM notifications"))
    expected = board.expected_post
    assert len(expected) == 44
    for chunk, reverse in ((2, False), (7, True), (44, False)):
        ranges = _ranges(engine, board.post_id, chunk)
        assert len(ranges) == -(-45 // chunk), (chunk, ranges)  # 45 followers of AAPL or TSLA, the author among them
        assert ranges[0][0] is None and ranges[-1][1] is None
        assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:], strict=False)), "ranges meet, no gap"
        inserted = [_run(engine, board.post_id, r) for r in (reversed(ranges) if reverse else ranges)]
        assert sum(inserted) == len(expected), (chunk, inserted)
        assert notifications_of(url, board.post_id, comment=False) == expected, chunk
        assert [_run(engine, board.post_id, r) for r in ranges] == [0] * len(ranges), "a range run again adds nothing"
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM notifications"))
    assert _ranges(engine, board.post_id, 45) == [fanout.EVERYONE], "one chunk's worth is not split"
    with pytest.raises(ValueError, match="at least one member"):
        _ranges(engine, board.post_id, 0)
    engine.dispose()


@pytest.mark.postgres
def test_the_first_job_splits_a_large_audience_into_range_jobs(postgres_url):
    url = empty_board_and_queue(postgres_url)
    with Session(create_engine(url)) as session:
        board = build_board(session, settings_for(url, "queue"), followers=40)
    with Session(create_engine(url)) as session, session.begin():
        ranges = jobs.split_fanout(session, "post", board.post_id, chunk=20)
    assert len(ranges) == 3
    queued = [(args, status) for status, args, _ in job_statuses(url)][2:]  # after the post's and the comment's
    assert queued == [
        ({"event": "post", "event_id": board.post_id, "user_from": lo, "user_to": hi}, "todo") for lo, hi in ranges
    ]
    assert notifications_of(url, board.post_id, comment=False) == [], "split: the ranges' jobs do the inserting"
    with Session(create_engine(url)) as session, session.begin():
        assert jobs.split_fanout(session, "post", board.post_id, chunk=1000) == []  # fits: runs here
    assert notifications_of(url, board.post_id, comment=False) == board.expected_post


@pytest.mark.postgres
def test_the_post_is_held_during_its_job_and_its_deletion_still_cascades(postgres_url):
    url = empty_board_and_queue(postgres_url)
    with Session(create_engine(url)) as session:
        board = build_board(session, settings_for(url, "queue"))
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with Session(create_engine(url)) as session, session.begin():
        jobs.run_fanout(session, "post", board.post_id)
        with psycopg.connect(dsn) as other:
            other.execute("SET lock_timeout = '200ms'")
            with pytest.raises(psycopg.errors.LockNotAvailable):
                other.execute("DELETE FROM posts WHERE id = %s", (board.post_id,))
    jobs_done = notifications_of(url, board.post_id, comment=False)
    assert jobs_done == board.expected_post
    with psycopg.connect(dsn) as conn:
        conn.execute("DELETE FROM posts WHERE id = %s", (board.post_id,))
        left = conn.execute("SELECT count(*) FROM notifications WHERE post_id = %s", (board.post_id,)).fetchone()[0]
        assert left == 0, "the trigger deletes a deleted post's notifications (its comments' too)"
