"""/api/v1 notifications, watches, the ticker watchlist and the feed in Flask: thin views over
``finboard.core.notification_service`` and ``watch_service`` (per user, never cached).

Order of checks on every route, as in the other adapters: path (404), token (401), body or
query (400/422), then the use case's own checks.
"""

from __future__ import annotations

from flask import request

from finboard.api.views import body, bp, current_api_user, list_query, respond
from finboard.contract.notifications import MarkRead, NotificationPreferencesUpdate, NotificationQuery
from finboard.contract.pagination import PageQuery
from finboard.contract.request_parsing import parse_id, parse_path_text
from finboard.core import account_settings, block_service, notification_service, watch_service
from finboard.extensions import db


@bp.get("/notifications")
def notifications():
    user = current_api_user()
    return respond(
        notification_service.notifications(db.session, user, list_query(NotificationQuery, NotificationQuery()))
    )


@bp.post("/notifications/read")
def mark_read():
    user = current_api_user()
    return respond(notification_service.mark_read(db.session, user, body(MarkRead)))


@bp.get("/notifications/preferences")
def notification_preferences():
    return respond(account_settings.preferences(db.session, current_api_user()))


@bp.patch("/notifications/preferences")
def update_notification_preferences():
    user = current_api_user()
    return respond(account_settings.update_preferences(db.session, user, body(NotificationPreferencesUpdate)))


@bp.route("/posts/<post_id>/watch", methods=["PUT", "DELETE"])
def watch_post(post_id: str):
    ident = parse_id(post_id)
    user = current_api_user()
    return respond(watch_service.watch_post(db.session, user, ident, request.method == "PUT"))


@bp.route("/categories/<slug>/watch", methods=["PUT", "DELETE"])
def watch_category(slug: str):
    slug = parse_path_text(slug)
    user = current_api_user()
    return respond(watch_service.watch_category(db.session, user, slug, request.method == "PUT"))


@bp.get("/watchlist")
def watchlist():
    return respond(watch_service.watchlist(db.session, current_api_user()))


@bp.route("/watchlist/<ticker>", methods=["PUT", "DELETE"])
def follow_ticker(ticker: str):
    ticker = parse_path_text(ticker)
    user = current_api_user()
    return respond(watch_service.follow_ticker(db.session, user, ticker, request.method == "PUT"))


@bp.get("/feed")
def feed():
    user = current_api_user()
    return respond(block_service.feed(db.session, user, list_query(PageQuery, PageQuery())))
