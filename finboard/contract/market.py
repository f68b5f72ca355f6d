"""Market features: a cashtag's statistics (posts per day, the bullish/bearish split).

Parsing cashtags out of text is ``finboard.contract.cashtags``; the posts of a
ticker are an ordinary post listing (``PostListQuery.cashtag``).
"""

from __future__ import annotations

from datetime import date

from pydantic import Field

from finboard.contract.base import Schema


class DayCount(Schema):
    day: date
    posts: int


class SentimentSplit(Schema):
    bullish: int
    bearish: int


class CashtagStats(Schema):
    ticker: str
    post_count: int
    followers: int
    daily: list[DayCount] = Field(description="Posts per UTC day, the last 30 days, oldest first, today last.")
    sentiment_7d: SentimentSplit
    sentiment_30d: SentimentSplit
