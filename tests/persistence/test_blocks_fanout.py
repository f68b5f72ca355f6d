"""A blocked member notifies nobody who blocks them: the fan-out's NOT EXISTS, on both paths.

Embedded (the job runs after commit, SQLite and PostgreSQL) and queued (Procrastinate's
table, a real ``flask worker --exit-when-empty``): cat blocks ann; ann's post mentions bob
and cat and is on a ticker cat follows in a category cat watches, her comment on bob's post
mentions cat — bob hears of both, cat of neither. The block is read when the job runs.
"""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from finboard.core import account_queries, content_writes, jobs
from finboard.core.models import Category, CategoryWatch, TickerFollow, User, UserBlock
from tests.databases import empty_tables
from tests.jobs_support import WorkerProcess, empty_board_and_queue, job_statuses, notifications_of, settings_for


def _write(url: str, runner: str) -> dict[str, int]:
    """The members, cat's block and follows, ann's post and comment (their jobs run or queued)."""
    settings = settings_for(url, runner)
    with Session(create_engine(url)) as session:
        ids = {n: account_queries.create_user(session, n, f"{n}@example.com", "x").id for n in ("ann", "bob", "cat")}
        category = session.scalars(select(Category).where(Category.slug == "stocks")).one()
        session.add_all(
            [
                UserBlock(blocker_id=ids["cat"], blocked_id=ids["ann"]),
                CategoryWatch(user_id=ids["cat"], category_id=category.id),
                TickerFollow(user_id=ids["cat"], ticker="AAPL"),
            ]
        )
        session.flush()
        ann, bob = session.get(User, ids["ann"]), session.get(User, ids["bob"])
        post = content_writes.create_post(session, ann, category, "Hi @bob and @cat", "Long $AAPL.")
        jobs.enqueue_fanout(session, settings, "post", post.id)
        bobs = content_writes.create_post(session, bob, category, "Bob's own", "Thoughts.")
        comment = content_writes.create_comment(session, bobs, ann, "@cat look here")
        jobs.enqueue_fanout(session, settings, "comment", comment.id)
        session.commit()
        return {**ids, "post": post.id, "bobs": bobs.id}


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_embedded_fanout_skips_whoever_blocks_the_author(request, kind):
    url = request.getfixturevalue(f"{kind}_url")
    empty_tables(url)
    if kind == "postgres":
        empty_board_and_queue(url)
    ids = _write(url, "embedded")
    assert notifications_of(url, ids["post"], comment=False) == [(ids["bob"], "mention", None)]
    assert notifications_of(url, ids["bobs"], comment=True) == [(ids["bob"], "reply", None)]


def test_queued_fanout_skips_whoever_blocks_the_author(postgres_url, tmp_path):
    url = empty_board_and_queue(postgres_url)
    ids = _write(url, "queue")
    assert [status for status, _, _ in job_statuses(url)] == ["todo", "todo"]
    worker = WorkerProcess(url, "--exit-when-empty", log=tmp_path / "worker.log")
    try:
        assert worker.wait(timeout=60) == 0, (tmp_path / "worker.log").read_text()
    finally:
        worker.stop()
    assert [status for status, _, _ in job_statuses(url)] == ["succeeded", "succeeded"]
    assert notifications_of(url, ids["post"], comment=False) == [(ids["bob"], "mention", None)]
    assert notifications_of(url, ids["bobs"], comment=True) == [(ids["bob"], "reply", None)]
    with create_engine(url).connect() as conn:
        told = conn.execute(text("SELECT count(*) FROM notifications WHERE user_id = :cat"), {"cat": ids["cat"]})
        assert told.scalar() == 0
