"""/api/v1 reports and moderation in Flask: thin views over ``finboard.core.report_service``
and ``moderation_service``. Moderating a post or a comment retires the read cache.

Order of checks on every route, as in the other adapters: path (404), token (401), body or
query (400/422), then the use case's own checks.
"""

from __future__ import annotations

from finboard.api.views import body, bp, current_api_user, list_query, respond, settings
from finboard.contract.moderation import (
    CommentModeration,
    PostModeration,
    ReportCreate,
    ReportQuery,
    ReportResolve,
    UserModeration,
)
from finboard.contract.pagination import PageQuery
from finboard.contract.request_parsing import parse_id, parse_path_text
from finboard.core import moderation_service, report_service, two_factor
from finboard.extensions import cache, db


def staff_gate(user) -> None:
    """``REQUIRE_2FA_FOR_STAFF``: a moderator without two-factor login is refused (403), after the body."""
    two_factor.check_staff(db.session, settings().require_2fa_for_staff, user)


@bp.post("/reports")
def create_report():
    user = current_api_user()
    return respond(report_service.create_report(db.session, user, body(ReportCreate)), 201)


@bp.get("/moderation/reports")
def moderation_reports():
    user = current_api_user()
    query = list_query(ReportQuery, ReportQuery())
    staff_gate(user)
    return respond(report_service.reports(db.session, user, query))


@bp.post("/moderation/reports/<report_id>/resolve")
def resolve_report(report_id: str):
    ident = parse_id(report_id)
    user = current_api_user()
    payload = body(ReportResolve)
    staff_gate(user)
    return respond(report_service.resolve_report(db.session, user, ident, payload))


@bp.post("/moderation/posts/<post_id>")
def moderate_post(post_id: str):
    ident = parse_id(post_id)
    user = current_api_user()
    payload = body(PostModeration)
    staff_gate(user)
    result = moderation_service.moderate_post(db.session, user, ident, payload)
    cache.invalidate()
    return respond(result)


@bp.post("/moderation/comments/<comment_id>")
def moderate_comment(comment_id: str):
    ident = parse_id(comment_id)
    user = current_api_user()
    payload = body(CommentModeration)
    staff_gate(user)
    result = moderation_service.moderate_comment(db.session, user, ident, payload)
    cache.invalidate()
    return respond(result)


@bp.post("/moderation/users/<username>")
def moderate_user(username: str):
    username = parse_path_text(username)
    user = current_api_user()
    payload = body(UserModeration)
    staff_gate(user)
    return respond(moderation_service.moderate_user(db.session, user, username, payload))


@bp.get("/moderation/actions")
def moderation_log():
    user = current_api_user()
    query = list_query(PageQuery, PageQuery())
    staff_gate(user)
    return respond(moderation_service.moderation_log(db.session, user, query))
