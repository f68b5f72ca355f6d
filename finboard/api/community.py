"""/api/v1 community and market routes in Flask: thin views over finboard.core's
profile, report, moderation, notification, watch and market services.

Order of checks on every route, as in the other adapters: path (404), token
(401), body or query (400/422), then the use case's own checks.
"""

from __future__ import annotations

from flask import request

from finboard.api.views import body, bp, current_api_user, list_query, respond
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
from finboard.contract.request_parsing import parse_id, parse_path_text
from finboard.contract.users import ProfileUpdate
from finboard.core import (
    api_service,
    market_service,
    moderation_service,
    notification_service,
    profile_service,
    report_service,
    watch_service,
)
from finboard.extensions import cache, db


def _session():
    return db.session


# --- profiles and history ------------------------------------------------------------


@bp.get("/users/<username>")
def user_profile(username: str):
    return respond(profile_service.profile(_session(), parse_path_text(username)))


@bp.patch("/users/me")
def update_profile():
    user = current_api_user()
    return respond(profile_service.update_profile(_session(), user, body(ProfileUpdate)))


@bp.get("/users/<username>/comments")
def user_comments(username: str):
    username = parse_path_text(username)
    return respond(profile_service.user_comments(_session(), username, list_query(PageQuery, PageQuery())))


@bp.get("/posts/<post_id>/revisions")
def post_revisions(post_id: str):
    return respond(api_service.revisions(_session(), parse_id(post_id)))


# --- reports and moderation --------------------------------------------------------------


@bp.post("/reports")
def create_report():
    user = current_api_user()
    return respond(report_service.create_report(_session(), user, body(ReportCreate)), 201)


@bp.get("/moderation/reports")
def moderation_reports():
    user = current_api_user()
    return respond(report_service.reports(_session(), user, list_query(ReportQuery, ReportQuery())))


@bp.post("/moderation/reports/<report_id>/resolve")
def resolve_report(report_id: str):
    ident = parse_id(report_id)
    user = current_api_user()
    return respond(report_service.resolve_report(_session(), user, ident, body(ReportResolve)))


@bp.post("/moderation/posts/<post_id>")
def moderate_post(post_id: str):
    ident = parse_id(post_id)
    user = current_api_user()
    result = moderation_service.moderate_post(_session(), user, ident, body(PostModeration))
    cache.invalidate()
    return respond(result)


@bp.post("/moderation/comments/<comment_id>")
def moderate_comment(comment_id: str):
    ident = parse_id(comment_id)
    user = current_api_user()
    result = moderation_service.moderate_comment(_session(), user, ident, body(CommentModeration))
    cache.invalidate()
    return respond(result)


@bp.post("/moderation/users/<username>")
def moderate_user(username: str):
    username = parse_path_text(username)
    user = current_api_user()
    return respond(moderation_service.moderate_user(_session(), user, username, body(UserModeration)))


@bp.get("/moderation/actions")
def moderation_log():
    user = current_api_user()
    return respond(moderation_service.moderation_log(_session(), user, list_query(PageQuery, PageQuery())))


# --- notifications, watches, watchlist, feed ---------------------------------------------------


@bp.get("/notifications")
def notifications():
    user = current_api_user()
    return respond(
        notification_service.notifications(_session(), user, list_query(NotificationQuery, NotificationQuery()))
    )


@bp.post("/notifications/read")
def mark_read():
    user = current_api_user()
    return respond(notification_service.mark_read(_session(), user, body(MarkRead)))


@bp.route("/posts/<post_id>/watch", methods=["PUT", "DELETE"])
def watch_post(post_id: str):
    ident = parse_id(post_id)
    user = current_api_user()
    return respond(watch_service.watch_post(_session(), user, ident, request.method == "PUT"))


@bp.route("/categories/<slug>/watch", methods=["PUT", "DELETE"])
def watch_category(slug: str):
    slug = parse_path_text(slug)
    user = current_api_user()
    return respond(watch_service.watch_category(_session(), user, slug, request.method == "PUT"))


@bp.get("/watchlist")
def watchlist():
    return respond(watch_service.watchlist(_session(), current_api_user()))


@bp.route("/watchlist/<ticker>", methods=["PUT", "DELETE"])
def follow_ticker(ticker: str):
    ticker = parse_path_text(ticker)
    user = current_api_user()
    return respond(watch_service.follow_ticker(_session(), user, ticker, request.method == "PUT"))


@bp.get("/feed")
def feed():
    user = current_api_user()
    return respond(watch_service.feed(_session(), user, list_query(PageQuery, PageQuery())))


# --- market ---------------------------------------------------------------------------------


@bp.get("/cashtags/<ticker>")
def cashtag_stats(ticker: str):
    return respond(market_service.cashtag_stats(_session(), parse_path_text(ticker)))


@bp.get("/categories/<slug>/pinned")
def pinned_posts(slug: str):
    return respond(api_service.pinned_posts(_session(), parse_path_text(slug)))
