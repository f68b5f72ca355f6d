"""Market data drawn from the posts: a ticker's activity and sentiment statistics."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Date, case, cast, func, select
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
    split = session.execute(
        select(
            Post.sentiment,
            func.sum(case((PostCashtag.created_at >= week, 1), else_=0)),
            func.count(),
        )
        .join(Post, Post.id == PostCashtag.post_id)
        .where(PostCashtag.ticker == ticker, PostCashtag.created_at >= month, Post.sentiment.is_not(None))
        .group_by(Post.sentiment)
    ).all()
    return cashtag_stats_schema(ticker, post_count, followers, today, per_day, split)
