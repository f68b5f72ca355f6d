"""The two statements behind trending tickers, written once for every backend.

``finboard.contract.reactions`` has the formula; these count its inputs over the window
and the baseline before it (``TRENDING_WINDOW`` + ``TRENDING_BASELINE_DAYS``):

- mentions: visible posts created since the baseline's start, joined to their tickers —
  a range of ``ix_posts_created_at_id`` (only the last eight days' posts), then the
  ``post_cashtags`` primary-key/post_id index per post;
- reactions: reactions made since the baseline's start (``ix_post_reactions_created_at``)
  on visible posts, per ticker of the post.

Neither reads older rows, so the cost follows the last eight days' activity, not the size
of the board. ``placeholder(name)`` writes a bound parameter in the caller's style (``:name``
for SQLAlchemy, ``%s`` for Django and psycopg, in the order of ``PARAMETER_ORDER``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from finboard.contract.reactions import TRENDING_BASELINE_DAYS, TRENDING_WINDOW, TickerActivity

PARAMETER_ORDER = ("recent", "recent", "baseline")
CACHE_NAME = "trending"  # the generation cache's name for the answer; its parameter is ``cache_params``


def cache_params(now: datetime) -> str:
    """The minute the window ends on: one cached answer per minute, the same key on every backend."""
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


_MENTIONS = (
    "SELECT pc.ticker, "
    "sum(CASE WHEN p.created_at >= {recent} THEN 1 ELSE 0 END), "
    "sum(CASE WHEN p.created_at < {recent} THEN 1 ELSE 0 END) "
    "FROM posts p JOIN post_cashtags pc ON pc.post_id = p.id "
    "WHERE p.created_at >= {baseline} AND p.hidden_at IS NULL GROUP BY pc.ticker"
)
_REACTIONS = (
    "SELECT pc.ticker, "
    "sum(CASE WHEN r.created_at >= {recent} THEN 1 ELSE 0 END), "
    "sum(CASE WHEN r.created_at < {recent} THEN 1 ELSE 0 END) "
    "FROM post_reactions r JOIN posts p ON p.id = r.post_id JOIN post_cashtags pc ON pc.post_id = r.post_id "
    "WHERE r.created_at >= {baseline} AND p.hidden_at IS NULL GROUP BY pc.ticker"
)


def statements(placeholder: Callable[[str], str]) -> tuple[str, str]:
    """(mentions SQL, reactions SQL); each row is (ticker, in the window, in the baseline)."""
    names = {"recent": placeholder("recent"), "baseline": placeholder("baseline")}
    return _MENTIONS.format(**names), _REACTIONS.format(**names)


def window(now: datetime) -> dict[str, datetime]:
    """The window's and the baseline's first instants, on the minute (one cached answer a minute)."""
    now = now.replace(second=0, microsecond=0)
    recent = now - TRENDING_WINDOW
    return {"recent": recent, "baseline": recent - TRENDING_BASELINE_DAYS * timedelta(days=1)}


def activities(mentions, reactions) -> list[TickerActivity]:
    """The two statements' rows as one ``TickerActivity`` per ticker."""
    counts: dict[str, list[int]] = {}
    for ticker, recent, before in mentions:
        counts.setdefault(ticker, [0, 0, 0, 0])[0:2] = [int(recent or 0), int(before or 0)]
    for ticker, recent, before in reactions:
        counts.setdefault(ticker, [0, 0, 0, 0])[2:4] = [int(recent or 0), int(before or 0)]
    return [
        TickerActivity(ticker, mentions=m, reactions=r, baseline_mentions=mb, baseline_reactions=rb)
        for ticker, (m, mb, r, rb) in counts.items()
    ]
