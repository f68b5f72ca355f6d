"""/api/v1 notifications, watches, the ticker watchlist and the feed in Django: thin views over the
notification and watch services (per user, never cached).

The reference is finboard/api/subscriptions.py, and so is the order of checks.
"""

from __future__ import annotations

from finboard.contract.notifications import MarkRead, NotificationPreferencesUpdate, NotificationQuery
from finboard.contract.pagination import PageQuery
from finboard.contract.request_parsing import parse_id, parse_path_text, parse_query

from . import block_services, notification_services, preference_services, watch_services
from .responses import json_response
from .views import ApiView, body, current_user, query_items


class NotificationsView(ApiView):
    def get(self, request):
        user = current_user(request)
        return json_response(
            notification_services.notifications(user, parse_query(query_items(request), NotificationQuery))
        )


class MarkReadView(ApiView):
    def post(self, request):
        user = current_user(request)
        return json_response(notification_services.mark_read(user, body(request, MarkRead)))


class NotificationPreferencesView(ApiView):
    def get(self, request):
        return json_response(preference_services.preferences(current_user(request)))

    def patch(self, request):
        user = current_user(request)
        return json_response(preference_services.update_preferences(user, body(request, NotificationPreferencesUpdate)))


class PostWatchView(ApiView):
    def put(self, request, post_id: str):
        return self.watch(request, post_id, True)

    def delete(self, request, post_id: str):
        return self.watch(request, post_id, False)

    def watch(self, request, post_id: str, watching: bool):
        ident = parse_id(post_id)
        user = current_user(request)
        return json_response(watch_services.watch_post(user, ident, watching))


class CategoryWatchView(ApiView):
    def put(self, request, slug: str):
        return self.watch(request, slug, True)

    def delete(self, request, slug: str):
        return self.watch(request, slug, False)

    def watch(self, request, slug: str, watching: bool):
        slug = parse_path_text(slug)
        return json_response(watch_services.watch_category(current_user(request), slug, watching))


class WatchlistView(ApiView):
    def get(self, request):
        return json_response(watch_services.watchlist(current_user(request)))


class FollowTickerView(ApiView):
    def put(self, request, ticker: str):
        return self.follow(request, ticker, True)

    def delete(self, request, ticker: str):
        return self.follow(request, ticker, False)

    def follow(self, request, ticker: str, following: bool):
        ticker = parse_path_text(ticker)
        return json_response(watch_services.follow_ticker(current_user(request), ticker, following))


class FeedView(ApiView):
    def get(self, request):
        user = current_user(request)
        return json_response(block_services.feed(user, parse_query(query_items(request), PageQuery)))
