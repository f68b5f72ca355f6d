"""/api/v1 reports and moderation in Django: thin views over the report and moderation services.

The reference is finboard/api/moderation.py, and so is the order of checks: the path id (404),
the bearer token (401), the body or query (400/422), then the use case's own checks.
Moderating posts and comments changes what the cached reads show, so those two retire the
cache, like the Flask routes.
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
from finboard.contract.pagination import PageQuery
from finboard.contract.request_parsing import parse_id, parse_path_text, parse_query

from . import moderation_services, report_services, two_factor_services
from .responses import json_response
from .runtime import content_cache, finboard_settings
from .views import ApiView, body, current_user, query_items


def staff_gate(user) -> None:
    """``REQUIRE_2FA_FOR_STAFF``: a moderator without two-factor login is refused (403), after the body."""
    two_factor_services.check_staff(finboard_settings().require_2fa_for_staff, user)


class ReportsView(ApiView):
    def post(self, request):
        user = current_user(request)
        return json_response(report_services.create_report(user, body(request, ReportCreate)), 201)


class ModerationReportsView(ApiView):
    def get(self, request):
        user = current_user(request)
        query = parse_query(query_items(request), ReportQuery)
        staff_gate(user)
        return json_response(report_services.reports(user, query))


class ResolveReportView(ApiView):
    def post(self, request, report_id: str):
        ident = parse_id(report_id)
        user = current_user(request)
        payload = body(request, ReportResolve)
        staff_gate(user)
        return json_response(report_services.resolve_report(user, ident, payload))


class ModeratePostView(ApiView):
    def post(self, request, post_id: str):
        ident = parse_id(post_id)
        user = current_user(request)
        payload = body(request, PostModeration)
        staff_gate(user)
        result = moderation_services.moderate_post(user, ident, payload)
        content_cache().invalidate()
        return json_response(result)


class ModerateCommentView(ApiView):
    def post(self, request, comment_id: str):
        ident = parse_id(comment_id)
        user = current_user(request)
        payload = body(request, CommentModeration)
        staff_gate(user)
        result = moderation_services.moderate_comment(user, ident, payload)
        content_cache().invalidate()
        return json_response(result)


class ModerateUserView(ApiView):
    def post(self, request, username: str):
        username = parse_path_text(username)
        user = current_user(request)
        payload = body(request, UserModeration)
        staff_gate(user)
        return json_response(moderation_services.moderate_user(user, username, payload))


class ModerationLogView(ApiView):
    def get(self, request):
        user = current_user(request)
        query = parse_query(query_items(request), PageQuery)
        staff_gate(user)
        return json_response(moderation_services.moderation_log(user, query))
