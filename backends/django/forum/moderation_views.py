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

from . import moderation_services, report_services
from .responses import json_response
from .runtime import content_cache
from .views import ApiView, body, current_user, query_items


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
