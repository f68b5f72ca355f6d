"""Trending tickers on a sync SQLAlchemy ``Session`` (the Flask app; FastAPI through ``run_sync``).

The statements are ``finboard.rawsql.trending``'s (shared with Django), the formula and the
order ``finboard.contract.reactions``'. Callers cache the answer per minute (the window moves
by the minute) in the generation cache, so a write also refreshes it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from finboard.contract.reactions import TrendingList, rank_trending, trending_public
from finboard.core.models import UTCDateTime
from finboard.rawsql import trending as sql

CACHE_NAME = sql.CACHE_NAME
cache_params = sql.cache_params


@lru_cache(maxsize=1)
def _statements():
    mentions, reactions = sql.statements(lambda name: f":{name}")
    times = (bindparam("recent", type_=UTCDateTime()), bindparam("baseline", type_=UTCDateTime()))
    return text(mentions).bindparams(*times), text(reactions).bindparams(*times)


def trending(session: Session, now: datetime | None = None) -> TrendingList:
    params = sql.window((now or datetime.now(UTC)).astimezone(UTC))
    mentions, reactions = _statements()
    rows = sql.activities(session.execute(mentions, params).all(), session.execute(reactions, params).all())
    return TrendingList(items=[trending_public(row) for row in rank_trending(rows)])


def trending_json(session: Session, now: datetime | None = None) -> bytes:
    return trending(session, now).model_dump_json().encode()
