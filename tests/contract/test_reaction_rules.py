"""The pure rules of reactions and ranking (finboard.contract.reactions): the hot score, the
top windows, the trending score and order, and the cursors of the new sorts."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from finboard.contract.pagination import Cursor
from finboard.contract.posts import PostListQuery
from finboard.contract.reactions import (
    REACTION_EMOJI,
    REACTION_KINDS,
    TickerActivity,
    hot_score,
    hot_score_sql,
    rank_trending,
    top_since,
    trending_score,
)

moments = st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))
counts = st.integers(min_value=0, max_value=10_000_000)


def test_the_reaction_set_is_small_and_has_an_emoji_each():
    assert REACTION_KINDS == ("like", "insightful", "rocket", "bull", "bear")
    assert all(REACTION_EMOJI[kind] for kind in REACTION_KINDS)


def test_hot_score_worked_examples():
    at = datetime(2026, 12, 7, tzinfo=UTC)
    base = int(at.timestamp()) // 45
    assert hot_score(0, 0, at) == base
    assert hot_score(9, 0, at) == base + 1000  # ten times the engagement: one decade, 1000 units
    assert hot_score(5, 4, at) == base + 1000  # comments count as engagement too
    assert hot_score(99, 0, at) == base + 2000
    # A decade of engagement is worth 12.5 hours of recency.
    assert hot_score(9, 0, at) == hot_score(0, 0, at + timedelta(hours=12.5))


@given(counts, counts, moments)
def test_hot_score_grows_with_engagement_and_recency(reactions, comments, at):
    score = hot_score(reactions, comments, at)
    assert hot_score(reactions + 1, comments, at) >= score
    assert hot_score(reactions, comments + 1, at) >= score
    assert hot_score(reactions, comments, at + timedelta(seconds=45)) == score + 1
    assert 0 < score < 2**31 - 1  # fits the integer column and the cursor


@given(counts, counts, moments)
def test_the_sqlite_expression_computes_the_python_score(reactions, comments, at):
    stored = at.replace(tzinfo=None).isoformat(sep=" ")
    sql = hot_score_sql("sqlite", ":r", ":c", ":t")
    with sqlite3.connect(":memory:") as connection:
        (value,) = connection.execute(f"SELECT {sql}", {"r": reactions, "c": comments, "t": stored}).fetchone()
    assert value == hot_score(reactions, comments, at)


def test_top_windows_start_on_the_minute():
    now = datetime(2026, 12, 7, 12, 34, 56, 789, tzinfo=UTC)
    assert top_since("day", now) == datetime(2026, 12, 6, 12, 34, tzinfo=UTC)
    assert top_since("week", now) == datetime(2026, 11, 30, 12, 34, tzinfo=UTC)
    assert top_since("month", now) == datetime(2026, 11, 7, 12, 34, tzinfo=UTC)
    assert top_since("all", now) is None


def test_trending_compares_the_last_day_with_the_tickers_own_baseline():
    quiet_now_busy = TickerActivity("ACME", mentions=6, reactions=4, baseline_mentions=0, baseline_reactions=0)
    always_busy = TickerActivity("AAPL", mentions=40, reactions=30, baseline_mentions=350, baseline_reactions=140)
    one_mention = TickerActivity("ZZZ", mentions=1, reactions=0, baseline_mentions=0, baseline_reactions=0)
    assert trending_score(quiet_now_busy.activity, quiet_now_busy.baseline_daily) == 10
    assert always_busy.baseline_daily == 70 and trending_score(70, 70) < 1
    assert [r.ticker for r in rank_trending([always_busy, one_mention, quiet_now_busy])] == ["ACME", "AAPL"]


@given(st.lists(st.tuples(st.integers(0, 50), st.integers(0, 50), st.integers(0, 500)), max_size=30))
def test_trending_order_is_total_and_by_score(rows):
    tickers = [TickerActivity(f"T{n}", m, r, b, 0) for n, (m, r, b) in enumerate(rows)]
    ranked = rank_trending(tickers, limit=100)
    assert all(t.activity >= 2 for t in ranked)
    scores = [trending_score(t.activity, t.baseline_daily) for t in ranked]
    assert scores == sorted(scores, reverse=True)
    assert rank_trending(list(reversed(tickers)), limit=100) == ranked


@given(st.sampled_from(["hot", "top", "comments"]), st.integers(0, 2**31 - 1), st.integers(1, 2**31 - 1), moments)
def test_cursors_of_counted_sorts_round_trip(sort, count, ident, at):
    cursor = Cursor.after(sort, at, ident, count)
    assert Cursor.decode(cursor.encode()) == cursor


def test_a_hot_cursor_is_refused_for_another_sort():
    token = Cursor.after("hot", datetime(2026, 12, 7, tzinfo=UTC), 5, 39_000_000).encode()
    assert PostListQuery(sort="top", cursor=token).problems() == {"cursor": "this cursor is for sort=hot"}
    assert PostListQuery(sort="hot", cursor=token).problems() == {}
