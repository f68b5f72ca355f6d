"""Market data drawn from the posts: a ticker's activity and sentiment statistics."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Date, case, cast, func, literal, select
from sqlalchemy.orm import Session

from finboard.contract.cashtags import ticker_in_path
from finboard.contract.market import CashtagStats
from finboard.contract.serializers import cashtag_stats as cashtag_stats_schema
from finboard.contract.serializers import cashtag_windows
from finboard.core.models import CashtagCounter, Post, PostCashtag, TickerFollow, utcnow


def _utc_day(session: Session, column):
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone("UTC", column), Date)
    return func.date(column)


def cashtag_stats(session: Session, raw: str) -> CashtagStats:
    """Posts per day over 30 days and the bullish/bearish split over 7 and 30 days (visible posts)."""
    ticker = ticker_in_path(raw)
    today, start, week, month = cashtag_windows(utcnow())
    post_count = session.scalar(select(CashtagCounter.post_count).where(CashtagCounter.ticker == ticker)) or 0
    followers = session.scalar(select(func.count()).where(TickerFollow.ticker == ticker))
    day = _utc_day(session, PostCashtag.created_at)
    per_day = {
        (d if not isinstance(d, str) else datetime.fromisoformat(d).date()): n
        for d, n in session.execute(
            select(day, func.count()).where(PostCashtag.ticker == ticker, PostCashtag.created_at >= start).group_by(day)
        )
    }
    return cashtag_stats_schema(ticker, post_count, followers, today, per_day, _split(session, ticker, week, month))


def _split(session: Session, ticker: str, week: datetime, month: datetime) -> list[tuple[str, int, int]]:
    """(view, posts over 7 days, over 30 days) of the views stated on this ticker (``posts.sentiments``,
    padded with spaces so ``" NVDA:bullish "`` never matches ``$XNVDA``): one pass over the
    ticker's rows of the month, the join the post-level split made before."""
    padded = literal(" ") + Post.sentiments + literal(" ")
    in_week = PostCashtag.created_at >= week
    sums = []
    for view in ("bullish", "bearish"):
        stated = padded.like(f"% {ticker}:{view} %")
        sums += [func.sum(case((stated & in_week, 1), else_=0)), func.sum(case((stated, 1), else_=0))]
    row = session.execute(
        select(*sums)
        .select_from(PostCashtag)
        .join(Post, Post.id == PostCashtag.post_id)
        .where(PostCashtag.ticker == ticker, PostCashtag.created_at >= month, Post.sentiments != "")
    ).one()
    return [("bullish", row[0] or 0, row[1] or 0), ("bearish", row[2] or 0, row[3] or 0)]
