"""Market reads: a cashtag's statistics and a category's pinned posts (public, uncached)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from backends.fastapi.deps import SessionDep, Slug, Ticker
from backends.fastapi.responses import json_response
from finboard.core import api_service, market_service

router = APIRouter(tags=["market"])


@router.get("/cashtags/{ticker}")
async def cashtag_stats(ticker: Ticker, session: SessionDep) -> Response:
    return json_response(await session.run_sync(market_service.cashtag_stats, ticker))


@router.get("/categories/{slug}/pinned")
async def pinned_posts(slug: Slug, session: SessionDep) -> Response:
    return json_response(await session.run_sync(api_service.pinned_posts, slug))
