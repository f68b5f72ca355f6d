"""/api/v1 market reads in Flask: a ticker's statistics and a category's pinned posts."""

from __future__ import annotations

from finboard.api.views import bp, respond
from finboard.contract.request_parsing import parse_path_text
from finboard.core import api_service, market_service
from finboard.extensions import db


@bp.get("/cashtags/<ticker>")
def cashtag_stats(ticker: str):
    return respond(market_service.cashtag_stats(db.session, parse_path_text(ticker)))


@bp.get("/categories/<slug>/pinned")
def pinned_posts(slug: str):
    return respond(api_service.pinned_posts(db.session, parse_path_text(slug)))
