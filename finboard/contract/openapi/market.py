"""OpenAPI paths of the market side: the ticker watchlist, its feed and a cashtag's statistics."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from finboard.contract.market import CashtagStats
from finboard.contract.notifications import Watchlist
from finboard.contract.openapi.operations import TICKER, operation, query_parameters
from finboard.contract.pagination import PageQuery
from finboard.contract.posts import PostPage

MODELS: list[type[BaseModel]] = [Watchlist, CashtagStats]


def paths() -> dict[str, Any]:
    return {
        "/api/v1/watchlist": {
            "get": operation("getWatchlist", "Your followed tickers", 200, Watchlist, (401, 503), auth=True),
        },
        "/api/v1/watchlist/{ticker}": {
            "parameters": [TICKER],
            "put": operation("followTicker", "Follow a ticker", 200, Watchlist, (401, 404, 422, 503), auth=True),
            "delete": operation("unfollowTicker", "Unfollow a ticker", 200, Watchlist, (401, 404, 503), auth=True),
        },
        "/api/v1/feed": {
            "get": operation(
                "feed",
                "Posts on your followed tickers, newest first",
                200,
                PostPage,
                (401, 422, 503),
                auth=True,
                query=query_parameters(PageQuery),
            ),
        },
        "/api/v1/cashtags/{ticker}": {
            "parameters": [TICKER],
            "get": operation(
                "cashtagStats",
                "A ticker: posts per day (30 days), sentiment split (7 and 30 days)",
                200,
                CashtagStats,
                (404, 503),
            ),
        },
    }
