"""/api/v1 community and market routes in Django: thin views over the
profile, report, moderation, notification, watch and market services.

The reference is finboard/api/community.py, and so is the order of checks:
the path id (404), the bearer token (401), the body or query (400/422), then
the use case's own checks. Moderating posts and comments changes what the
cached reads show, so those two retire the cache, like the Flask routes.
"""

from __future__ import annotations

from finboard.contract.moderation import (
    CommentModeration,
    PostModeration,
    ReportCreate,
    ReportQuery,
    ReportResolve,
    UserModeration,
)
from finboard.contract.notifications import MarkRead, NotificationQuery
from finboard.contract.pagination import PageQuery
from finboard.contract.request_parsing import parse_id, parse_path_text, parse_query
from finboard.contract.users import ProfileUpdate

from . import (
    market_services,
    moderation_services,
    notification_services,
    profile_services,
    report_services,
    services,
    watch_services,
)
from .responses import json_response
from .runtime import content_cache
from .views import ApiView, body, current_user, query_items

# --- profiles and history ------------------------------------------------------------


class UserView(ApiView):
    """GET /users/<username>, and PATCH /users/me: Flask's two rules share this path.

    As in Werkzeug's routing, ``me`` is a username to GET, and PATCH is allowed on ``me`` only.
    """

    def _allowed_methods(self):
        methods = super()._allowed_methods()
        return methods if self.kwargs.get("username") == "me" else [m for m in methods if m != "PATCH"]

    def get(self, request, username: str):
        return json_response(profile_services.profile(parse_path_text(username)))

    def patch(self, request, username: str):
        if username != "me":
            return self.http_method_not_allowed(request)
        user = current_user(request)
        return json_response(profile_services.update_profile(user, body(request, ProfileUpdate)))


class UserCommentsView(ApiView):
    def get(self, request, username: str):
        username = parse_path_text(username)
        return json_response(profile_services.user_comments(username, parse_query(query_items(request), PageQuery)))


class RevisionsView(ApiView):
    def get(self, request, post_id: str):
        return json_response(services.revisions(parse_id(post_id)))


# --- reports and moderation --------------------------------------------------------------


class ReportsView(ApiView):
    def post(self, request):
        user = current_user(request)
        return json_response(report_services.create_report(user, body(request, ReportCreate)), 201)


class ModerationReportsView(ApiView):
    def get(self, request):
        user = current_user(request)
        return json_response(report_services.reports(user, parse_query(query_items(request), ReportQuery)))


class ResolveReportView(ApiView):
    def post(self, request, report_id: str):
        ident = parse_id(report_id)
        user = current_user(request)
        return json_response(report_services.resolve_report(user, ident, body(request, ReportResolve)))


class ModeratePostView(ApiView):
    def post(self, request, post_id: str):
        ident = parse_id(post_id)
        user = current_user(request)
        result = moderation_services.moderate_post(user, ident, body(request, PostModeration))
        content_cache().invalidate()
        return json_response(result)


class ModerateCommentView(ApiView):
    def post(self, request, comment_id: str):
        ident = parse_id(comment_id)
        user = current_user(request)
        result = moderation_services.moderate_comment(user, ident, body(request, CommentModeration))
        content_cache().invalidate()
        return json_response(result)


class ModerateUserView(ApiView):
    def post(self, request, username: str):
        username = parse_path_text(username)
        user = current_user(request)
        return json_response(moderation_services.moderate_user(user, username, body(request, UserModeration)))


class ModerationLogView(ApiView):
    def get(self, request):
        user = current_user(request)
        return json_response(moderation_services.moderation_log(user, parse_query(query_items(request), PageQuery)))


# --- notifications, watches, watchlist, feed ---------------------------------------------------


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
        return json_response(watch_services.feed(user, parse_query(query_items(request), PageQuery)))


# --- market ---------------------------------------------------------------------------------


class CashtagStatsView(ApiView):
    def get(self, request, ticker: str):
        return json_response(market_services.cashtag_stats(parse_path_text(ticker)))


class PinnedPostsView(ApiView):
    def get(self, request, slug: str):
        return json_response(services.pinned_posts(parse_path_text(slug)))
