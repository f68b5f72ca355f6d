"""/trending and the home page's "Trending tickers" block.

Both read ``finboard.core.trending_service`` through the generation cache, under the
minute the window ends on (the same key as every backend's ``GET /api/v1/trending``), so
a minute's pages cost one computation and a write refreshes it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import render_template

from finboard.contract.reactions import (
    TRENDING_BASELINE_DAYS,
    TRENDING_MIN_ACTIVITY,
    TRENDING_WINDOW,
    TrendingList,
)
from finboard.core import trending_service
from finboard.extensions import cache, db
from finboard.market.views import bp

SIDEBAR_TICKERS = 5


def trending_json() -> bytes:
    now = datetime.now(UTC)
    build = lambda: trending_service.trending_json(db.session, now)  # noqa: E731 - a one-line builder
    return cache.get_or_build(trending_service.CACHE_NAME, trending_service.cache_params(now), build)


def trending_list() -> TrendingList:
    return TrendingList.model_validate_json(trending_json())


@bp.get("/trending")
def trending():
    return render_template(
        "market/trending.html",
        trending=trending_list(),
        window_hours=int(TRENDING_WINDOW.total_seconds() // 3600),
        baseline_days=TRENDING_BASELINE_DAYS,
        minimum=TRENDING_MIN_ACTIVITY,
    )


@bp.app_template_global()
def trending_tickers(limit: int = SIDEBAR_TICKERS):
    """The home page's block: the first few trending tickers."""
    return trending_list().items[:limit]
