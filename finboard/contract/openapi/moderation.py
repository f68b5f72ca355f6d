"""OpenAPI paths of reports and moderation: reporting, the queue, the actions and their log."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from finboard.contract.moderation import (
    CommentModeration,
    ModerationActionPage,
    ModerationActionPublic,
    PostModeration,
    ReportCreate,
    ReportPage,
    ReportPublic,
    ReportQuery,
    ReportResolve,
    UserModeration,
)
from finboard.contract.openapi.operations import (
    MODERATED_ERRORS,
    USERNAME,
    id_parameter,
    operation,
    query_parameters,
)
from finboard.contract.pagination import PageQuery

MODELS: list[type[BaseModel]] = [
    ReportCreate,
    ReportPublic,
    ReportPage,
    ReportResolve,
    PostModeration,
    CommentModeration,
    UserModeration,
    ModerationActionPublic,
    ModerationActionPage,
]


def _moderate(operation_id: str, summary: str, body: type[BaseModel]) -> dict[str, Any]:
    """A moderator's action on one post, comment or member: answered with the logged action."""
    return operation(operation_id, summary, 200, ModerationActionPublic, MODERATED_ERRORS, body=body, auth=True)


def paths() -> dict[str, Any]:
    return {
        "/api/v1/reports": {
            "post": operation(
                "createReport",
                "Report a post or a comment to the moderators",
                201,
                ReportPublic,
                MODERATED_ERRORS,
                body=ReportCreate,
                auth=True,
            ),
        },
        "/api/v1/moderation/reports": {
            "get": operation(
                "listReports",
                "Reports (moderators)",
                200,
                ReportPage,
                (401, 403, 422, 503),
                auth=True,
                query=query_parameters(ReportQuery),
            ),
        },
        "/api/v1/moderation/reports/{report_id}/resolve": {
            "parameters": [id_parameter("report_id")],
            "post": operation(
                "resolveReport",
                "Resolve a report (moderators)",
                200,
                ReportPublic,
                MODERATED_ERRORS,
                body=ReportResolve,
                auth=True,
            ),
        },
        "/api/v1/moderation/posts/{post_id}": {
            "parameters": [id_parameter("post_id")],
            "post": _moderate(
                "moderatePost", "Hide, restore, lock, unlock, pin, unpin or delete a post (moderators)", PostModeration
            ),
        },
        "/api/v1/moderation/comments/{comment_id}": {
            "parameters": [id_parameter("comment_id")],
            "post": _moderate("moderateComment", "Hide, restore or delete a comment (moderators)", CommentModeration),
        },
        "/api/v1/moderation/users/{username}": {
            "parameters": [USERNAME],
            "post": _moderate("moderateUser", "Suspend or unsuspend a member (moderators)", UserModeration),
        },
        "/api/v1/moderation/actions": {
            "get": operation(
                "moderationLog",
                "The moderation log, newest first (moderators)",
                200,
                ModerationActionPage,
                (401, 403, 422, 503),
                auth=True,
                query=query_parameters(PageQuery),
            ),
        },
    }
