"""Reactions and ranking: the reaction set, the hot score, the top windows, the trending score.

Defined once here (pure: no framework, ORM or driver), so the migration's triggers, every
backend and the pages apply the same rules.

**Reactions.** A member has at most one reaction per post and per comment (the primary key
(item, member) says so in the database): reacting again with the same kind is a no-op, with
another kind replaces it, and removing it deletes the row. ``posts.reaction_count`` and
``comments.reaction_count`` are kept by triggers in the writer's transaction (migration 0014).

**Hot.** ``hot_score = round(1000 * log10(1 + reactions + comments)) + epoch_seconds // 45``
— Reddit's formula on integers: every tenfold of engagement is worth 45,000 s (12.5 h) of
recency. It is stored in ``posts.hot_score`` (a trigger recomputes it whenever the post's
reaction or comment count moves) and indexed with the id, so the hot listing reads the top of
an index like the newest listing does, instead of scoring every post per request.

**Top.** Reactions within a window (day, week, month, all) of the post's creation time:
``created_at >= now - window`` ordered by ``reaction_count``. For ``all`` the
``(reaction_count, created_at, id)`` index is read from its top; a bounded window is a range
scan of the ``created_at`` index (only that window's posts) and a top-N sort of those rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from pydantic import Field

from finboard.contract.base import Input, Schema

ReactionKind = Literal["like", "insightful", "rocket", "bull", "bear"]

# (kind, emoji, label) in display order: a small set fit for a markets board.
REACTIONS: tuple[tuple[str, str, str], ...] = (
    ("like", "👍", "Like"),
    ("insightful", "💡", "Insightful"),
    ("rocket", "🚀", "To the moon"),
    ("bull", "🐂", "Bull"),
    ("bear", "🐻", "Bear"),
)
REACTION_KINDS: tuple[str, ...] = tuple(kind for kind, _, _ in REACTIONS)
REACTION_EMOJI: dict[str, str] = {kind: emoji for kind, emoji, _ in REACTIONS}
REACTION_LABELS: dict[str, str] = {kind: label for kind, _, label in REACTIONS}
REACTION_KIND_MAX = 10

# --- hot ---------------------------------------------------------------------------------

HOT_SECONDS_PER_DECADE = 45  # hot_score units are 1/1000 of a decade; 45 s per unit of recency
HOT_LOG_SCALE = 1000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def hot_score(reactions: int, comments: int, created_at: datetime) -> int:
    """The stored hot score of a post (the migration's SQL computes exactly this)."""
    engagement = max(reactions, 0) + max(comments, 0)
    weight = math.floor(HOT_LOG_SCALE * math.log10(1 + engagement) + 0.5)
    if created_at.tzinfo is None:
        created_at = created_at.replace(tzinfo=UTC)
    seconds = (created_at - _EPOCH) // timedelta(seconds=1)
    return weight + seconds // HOT_SECONDS_PER_DECADE


def hot_score_sql(dialect: str, reactions: str, comments: str, created_at: str) -> str:
    """``hot_score`` as an SQL expression over the named columns (PostgreSQL or SQLite ≥ 3.35)."""
    engagement = f"(1 + {reactions} + {comments})"
    if dialect == "postgresql":
        return (
            f"(floor({HOT_LOG_SCALE} * log({engagement}::double precision) + 0.5)::bigint"
            f" + floor(extract(epoch FROM {created_at}))::bigint / {HOT_SECONDS_PER_DECADE})::integer"
        )
    return (
        f"(CAST(floor({HOT_LOG_SCALE} * log10({engagement}) + 0.5) AS INTEGER)"
        f" + CAST(strftime('%s', {created_at}) AS INTEGER) / {HOT_SECONDS_PER_DECADE})"
    )


# --- top ---------------------------------------------------------------------------------

TopPeriod = Literal["day", "week", "month", "all"]
TOP_PERIODS: dict[str, timedelta | None] = {
    "day": timedelta(days=1),
    "week": timedelta(days=7),
    "month": timedelta(days=30),
    "all": None,
}


def top_since(period: str, now: datetime) -> datetime | None:
    """The window's first instant, on the minute (so a minute's requests share one cached read)."""
    span = TOP_PERIODS[period]
    if span is None:
        return None
    return now.astimezone(UTC).replace(second=0, microsecond=0) - span


# --- trending tickers ----------------------------------------------------------------------

TRENDING_WINDOW = timedelta(hours=24)
TRENDING_BASELINE_DAYS = 7
TRENDING_MIN_ACTIVITY = 2  # mentions + reactions in the window below this never trend
TRENDING_LIMIT = 10


@dataclass(frozen=True)
class TickerActivity:
    """A ticker's mentions (posts) and reactions (on those posts) now and over the baseline."""

    ticker: str
    mentions: int
    reactions: int
    baseline_mentions: int
    baseline_reactions: int

    @property
    def activity(self) -> int:
        return self.mentions + self.reactions

    @property
    def baseline_daily(self) -> float:
        return (self.baseline_mentions + self.baseline_reactions) / TRENDING_BASELINE_DAYS


def trending_score(activity: int, baseline_daily: float) -> float:
    """How far the last 24 h run above the ticker's own daily average of the 7 days before.

    ``activity / (baseline_daily + 1)``: a ticker quiet for a week that gets 10 mentions and
    reactions today scores 10, one that has 10 a day as usual scores 10/11 ≈ 0.9. The + 1 keeps
    a ticker with no history from scoring infinity on a single mention.
    """
    return activity / (baseline_daily + 1)


def rank_trending(rows: list[TickerActivity], limit: int = TRENDING_LIMIT) -> list[TickerActivity]:
    """The trending tickers, best first: score, then activity, then ticker (a total order)."""
    eligible = [r for r in rows if r.activity >= TRENDING_MIN_ACTIVITY]
    eligible.sort(key=lambda r: (-trending_score(r.activity, r.baseline_daily), -r.activity, r.ticker))
    return eligible[:limit]


# --- API schemas ----------------------------------------------------------------------------


class ReactionSet(Input):
    kind: ReactionKind = Field(description="One of: " + ", ".join(f"{k} ({REACTION_EMOJI[k]})" for k in REACTION_KINDS))


class ReactionState(Schema):
    """The item's reactions after a write, and the caller's own."""

    reaction_count: int
    counts: dict[str, int] = Field(description="Reactions per kind (kinds with none are left out).")
    mine: ReactionKind | None = Field(description="The caller's reaction; null when none.")


class TrendingTicker(Schema):
    ticker: str
    score: float = Field(description="activity / (baseline_daily + 1), rounded to 2 decimals.")
    mentions: int = Field(description="Posts mentioning it in the last 24 h.")
    reactions: int = Field(description="Reactions in the last 24 h on posts mentioning it.")
    baseline_daily: float = Field(description="Mentions + reactions per day over the 7 days before, rounded.")


class TrendingList(Schema):
    items: list[TrendingTicker]


def trending_public(row: TickerActivity) -> TrendingTicker:
    return TrendingTicker(
        ticker=row.ticker,
        score=round(trending_score(row.activity, row.baseline_daily), 2),
        mentions=row.mentions,
        reactions=row.reactions,
        baseline_daily=round(row.baseline_daily, 2),
    )
