"""Listing totals without counting tables: counters, capped counts, search estimates.

The conformance suite checks that every backend answers the same; these tests
check that the answers are right — counters against real counts after every
kind of write, and the inexact totals flagged as such.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from finboard.contract.pagination import SEARCH_EXACT_BELOW
from finboard.core import content_writes, counters, moderation_transitions
from finboard.core.models import Comment, Post, User
from finboard.core.seeding import seed
from finboard.extensions import cache, db


def _counters_match_a_rebuild(app) -> None:
    with app.app_context(), db.engine.begin() as connection:
        kept = counters.snapshot(connection)
        counters.rebuild(connection)
        assert counters.snapshot(connection) == kept
        connection.rollback()


def test_counters_follow_every_write(app, client, auth, make):
    """Create, move, comment, delete — through the forum and the API — and the triggers keep up."""
    alice, bob = make.user("alice"), make.user("bob")
    first = make.post(alice, "Why $AAPL and $MSFT", "Long **$AAPL**.", category="stocks")
    second = make.post(bob, "Bitcoin $BTC", "Hodl $BTC.", category="crypto")
    make.post(bob, "More $BTC", "Again.", category="crypto")
    make.comment(first, bob, "Nice $NVDA call")
    make.comment(first, alice, "Thanks")
    _counters_match_a_rebuild(app)

    auth.login("alice")
    moved = client.post(
        f"/posts/{first}/edit",
        data={
            "title": "Why $TSLA now",
            "body": "Short $TSLA.",
            "category": "crypto",
            "csrf_token": auth.csrf(f"/posts/{first}/edit"),
        },
    )
    assert moved.status_code == 302
    _counters_match_a_rebuild(app)

    stats = {row["slug"]: row for row in client.get("/api/v1/stats/categories").get_json()["items"]}
    assert (stats["crypto"]["post_count"], stats["crypto"]["comment_count"], stats["crypto"]["author_count"]) == (
        3,
        2,
        2,
    )
    assert (stats["stocks"]["post_count"], stats["stocks"]["author_count"]) == (0, 0)
    tickers = client.get("/api/v1/posts?cashtag=TSLA").get_json()
    assert (tickers["total"], tickers["total_exact"]) == (1, True)
    assert client.get("/api/v1/posts?cashtag=AAPL").get_json()["total"] == 0

    with app.app_context():
        content_writes.delete_post(db.session, db.session.get(Post, second))
        db.session.commit()
    _counters_match_a_rebuild(app)
    assert client.get("/api/v1/posts?author=bob").get_json()["total"] == 1
    assert client.get("/api/v1/posts").get_json()["total"] == 2


def test_hiding_uncounts_and_restoring_recounts(app, client, make):
    """Hide a post and a comment, move and comment on the hidden post, restore, delete hidden rows: the
    triggers and the application keep every counter equal to a rebuild that skips hidden rows."""
    alice, bob = make.user("alice"), make.user("bob")
    first = make.post(alice, "Why $AAPL", "Long $AAPL.", category="stocks")
    second = make.post(bob, "Bitcoin $BTC", "Hodl $BTC.", category="crypto")
    kept = make.comment(first, bob, "Nice call")
    hidden_comment = make.comment(first, alice, "Off topic")

    def totals():
        stats = {row["slug"]: row for row in client.get("/api/v1/stats/categories").get_json()["items"]}
        return (
            client.get("/api/v1/posts").get_json()["total"],
            stats["stocks"]["post_count"],
            stats["stocks"]["comment_count"],
            client.get("/api/v1/posts?cashtag=AAPL").get_json()["total"],
            client.get(f"/api/v1/posts/{first}").status_code,
        )

    assert totals() == (2, 1, 2, 1, 200)
    with app.app_context():
        moderation_transitions.hide_comment(db.session, db.session.get(Comment, hidden_comment))
        db.session.commit()
        cache.invalidate()
    _counters_match_a_rebuild(app)
    assert totals() == (2, 1, 1, 1, 200)
    assert [c["id"] for c in client.get(f"/api/v1/posts/{first}/comments").get_json()["items"]] == [kept]

    with app.app_context():
        moderation_transitions.hide_post(db.session, db.session.get(Post, first))
        db.session.commit()
        cache.invalidate()
    _counters_match_a_rebuild(app)
    assert totals() == (1, 0, 0, 0, 404)
    assert [p["id"] for p in client.get("/api/v1/posts?sort=comments").get_json()["items"]] == [second]

    with app.app_context():  # writes on a hidden post (a move, a comment) leave the counters alone
        post = db.session.get(Post, first)
        post.category_id = db.session.scalar(text("SELECT id FROM categories WHERE slug = 'crypto'"))
        content_writes.create_comment(db.session, post, db.session.get(User, bob), "late comment")
        db.session.commit()
        cache.invalidate()
    _counters_match_a_rebuild(app)

    with app.app_context():
        moderation_transitions.restore_post(db.session, db.session.get(Post, first))
        moderation_transitions.restore_comment(db.session, db.session.get(Comment, hidden_comment))
        db.session.commit()
        cache.invalidate()
    _counters_match_a_rebuild(app)
    assert client.get("/api/v1/posts?cashtag=AAPL").get_json()["total"] == 1
    assert client.get(f"/api/v1/posts/{first}").get_json()["comment_count"] == 3

    with app.app_context():  # deleting hidden rows must not uncount them twice
        moderation_transitions.hide_comment(db.session, db.session.get(Comment, kept))
        content_writes.delete_comment(db.session, db.session.get(Comment, kept))
        moderation_transitions.hide_post(db.session, db.session.get(Post, second))
        content_writes.delete_post(db.session, db.session.get(Post, second))
        db.session.commit()
        cache.invalidate()
    _counters_match_a_rebuild(app)
    assert client.get("/api/v1/posts").get_json()["total"] == 1
    assert client.get(f"/api/v1/posts/{first}").get_json()["comment_count"] == 2


def test_a_bulk_seed_leaves_the_same_counters_as_the_triggers(app):
    with app.app_context():
        seed(db.session, users=20, posts=120, comments=300, seed=7)
        db.session.commit()
    _counters_match_a_rebuild(app)


def test_other_filter_combinations_are_counted_up_to_the_cap(app, client, make, monkeypatch):
    alice = make.user("alice")
    for n in range(6):
        make.post(alice, f"Covered calls on $SPY week {n}", "Theta.", category="options")
    monkeypatch.setattr("finboard.core.read_statements.EXACT_TOTAL_MAX", 4)
    monkeypatch.setattr("finboard.contract.pagination.EXACT_TOTAL_MAX", 4)
    capped = client.get("/api/v1/posts?category=options&cashtag=SPY&per_page=2").get_json()
    assert (capped["total"], capped["total_exact"], capped["pages"]) == (4, False, 2)
    assert len(capped["items"]) == 2 and capped["next_cursor"]
    exact = client.get("/api/v1/posts?category=options&per_page=2").get_json()
    assert (exact["total"], exact["total_exact"]) == (6, True)  # a counter: never capped


@pytest.mark.parametrize("database_kind", ["postgres"], indirect=True)
def test_a_common_search_is_estimated_a_rare_one_counted(app, client, monkeypatch):
    """PostgreSQL: the planner's estimate for many matches (flagged), an exact count for few."""
    with app.app_context():
        seed(db.session, users=50, posts=3000, comments=0, seed=11)
        db.session.commit()
        db.session.execute(text("ANALYZE posts"))
        db.session.commit()
        word, matches = db.session.execute(
            text("SELECT word, ndoc FROM ts_stat('SELECT search_vector FROM posts') ORDER BY ndoc DESC, word LIMIT 1")
        ).one()
        estimate = db.session.execute(text("SELECT finboard_search_estimate(:w)"), {"w": word}).scalar()
    assert matches > SEARCH_EXACT_BELOW and estimate > SEARCH_EXACT_BELOW
    common = client.get(f"/api/v1/posts?search={word}").get_json()
    assert common["total_exact"] is False
    assert common["total"] == estimate and 0.5 < estimate / matches < 2
    rare = client.get("/api/v1/posts?search=zzzunseenword").get_json()
    assert (rare["total"], rare["total_exact"], rare["items"]) == (0, True, [])
