"""/api/v1 market reads in Django: a ticker's statistics and a category's pinned posts
(the reference is finboard/api/market.py).
"""

from __future__ import annotations

from finboard.contract.request_parsing import parse_path_text

from . import market_services, services
from .responses import json_response
from .views import ApiView


class CashtagStatsView(ApiView):
    def get(self, request, ticker: str):
        return json_response(market_services.cashtag_stats(parse_path_text(ticker)))


class PinnedPostsView(ApiView):
    def get(self, request, slug: str):
        return json_response(services.pinned_posts(parse_path_text(slug)))
