"""The OpenAPI paths a member uses beyond posts and comments (``finboard.contract.openapi`` adds them).

Profiles, edit history, watches, pinned posts, reports, moderation,
notifications, the watchlist and cashtag statistics, with their component
models. Kept apart only to keep each module short; both are the one document.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from finboard.contract.comments import CommentPage
from finboard.contract.fields import TICKER_PATTERN
from finboard.contract.limits import SLUG_MAX
from finboard.contract.market import CashtagStats
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
from finboard.contract.notifications import (
    MarkRead,
    NotificationPage,
    NotificationQuery,
    UnreadCount,
    Watchlist,
    WatchState,
)
from finboard.contract.pagination import PageQuery
from finboard.contract.posts import PinnedPosts, PostPage, RevisionList
from finboard.contract.users import ProfileUpdate, UserProfile

MEMBER_MODELS: list[type[BaseModel]] = [
    UserProfile,
    ProfileUpdate,
    RevisionList,
    ReportCreate,
    ReportPublic,
    ReportPage,
    ReportResolve,
    PostModeration,
    CommentModeration,
    UserModeration,
    ModerationActionPublic,
    ModerationActionPage,
    NotificationPage,
    MarkRead,
    UnreadCount,
    Watchlist,
    WatchState,
    CashtagStats,
    PinnedPosts,
]


def _path_parameter(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema}


def _id(name: str) -> dict[str, Any]:
    return _path_parameter(name, {"type": "integer", "minimum": 1, "maximum": 2**31 - 1})


USERNAME = _path_parameter("username", {"type": "string", "maxLength": 32})
TICKER = _path_parameter("ticker", {"type": "string", "pattern": TICKER_PATTERN})
SLUG = _path_parameter("slug", {"type": "string", "pattern": "^[a-z0-9-]+$", "maxLength": SLUG_MAX})


def member_paths(op, query_parameters) -> dict[str, Any]:
    """``op(summary, ok_status, ok_model, errors, *, body=None, auth=False, operation_id, query=None)`` builds one."""
    moderated = (400, 401, 403, 404, 409, 413, 422, 503)
    return {
        "/api/v1/users/me": {
            "patch": op(
                "updateProfile",
                "Edit your bio",
                200,
                UserProfile,
                (400, 401, 403, 413, 422, 503),
                body=ProfileUpdate,
                auth=True,
            ),
        },
        "/api/v1/users/{username}": {
            "parameters": [USERNAME],
            "get": op("getProfile", "A member's profile", 200, UserProfile, (404, 503)),
        },
        "/api/v1/users/{username}/comments": {
            "parameters": [USERNAME],
            "get": op(
                "listUserComments",
                "A member's comments, newest first",
                200,
                CommentPage,
                (404, 422, 503),
                query=query_parameters(PageQuery),
            ),
        },
        "/api/v1/posts/{post_id}/revisions": {
            "parameters": [_id("post_id")],
            "get": op(
                "listRevisions", "Earlier versions of a post, newest edit first", 200, RevisionList, (404, 503)
            ),
        },
        "/api/v1/posts/{post_id}/watch": {
            "parameters": [_id("post_id")],
            "put": op("watchPost", "Be notified of new comments", 200, WatchState, (401, 404, 503), auth=True),
            "delete": op("unwatchPost", "Stop watching", 200, WatchState, (401, 404, 503), auth=True),
        },
        "/api/v1/categories/{slug}/watch": {
            "parameters": [SLUG],
            "put": op("watchCategory", "Be notified of new posts", 200, WatchState, (401, 404, 503), auth=True),
            "delete": op("unwatchCategory", "Stop watching", 200, WatchState, (401, 404, 503), auth=True),
        },
        "/api/v1/categories/{slug}/pinned": {
            "parameters": [SLUG],
            "get": op("listPinned", "Pinned posts of a category", 200, PinnedPosts, (404, 503)),
        },
        "/api/v1/reports": {
            "post": op(
                "createReport",
                "Report a post or a comment to the moderators",
                201,
                ReportPublic,
                (400, 401, 403, 404, 409, 413, 422, 503),
                body=ReportCreate,
                auth=True,
            ),
        },
        "/api/v1/moderation/reports": {
            "get": op(
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
            "parameters": [_id("report_id")],
            "post": op(
                "resolveReport",
                "Resolve a report (moderators)",
                200,
                ReportPublic,
                moderated,
                body=ReportResolve,
                auth=True,
            ),
        },
        "/api/v1/moderation/posts/{post_id}": {
            "parameters": [_id("post_id")],
            "post": op(
                "moderatePost",
                "Hide, restore, lock, unlock, pin, unpin or delete a post (moderators)",
                200,
                ModerationActionPublic,
                moderated,
                body=PostModeration,
                auth=True,
            ),
        },
        "/api/v1/moderation/comments/{comment_id}": {
            "parameters": [_id("comment_id")],
            "post": op(
                "moderateComment",
                "Hide, restore or delete a comment (moderators)",
                200,
                ModerationActionPublic,
                moderated,
                body=CommentModeration,
                auth=True,
            ),
        },
        "/api/v1/moderation/users/{username}": {
            "parameters": [USERNAME],
            "post": op(
                "moderateUser",
                "Suspend or unsuspend a member (moderators)",
                200,
                ModerationActionPublic,
                moderated,
                body=UserModeration,
                auth=True,
            ),
        },
        "/api/v1/moderation/actions": {
            "get": op(
                "moderationLog",
                "The moderation log, newest first (moderators)",
                200,
                ModerationActionPage,
                (401, 403, 422, 503),
                auth=True,
                query=query_parameters(PageQuery),
            ),
        },
        "/api/v1/notifications": {
            "get": op(
                "listNotifications",
                "Your notifications, newest first",
                200,
                NotificationPage,
                (401, 422, 503),
                auth=True,
                query=query_parameters(NotificationQuery),
            ),
        },
        "/api/v1/notifications/read": {
            "post": op(
                "markRead",
                "Mark notifications read",
                200,
                UnreadCount,
                (400, 401, 413, 422, 503),
                body=MarkRead,
                auth=True,
            ),
        },
        "/api/v1/watchlist": {
            "get": op("getWatchlist", "Your followed tickers", 200, Watchlist, (401, 503), auth=True),
        },
        "/api/v1/watchlist/{ticker}": {
            "parameters": [TICKER],
            "put": op("followTicker", "Follow a ticker", 200, Watchlist, (401, 404, 422, 503), auth=True),
            "delete": op("unfollowTicker", "Unfollow a ticker", 200, Watchlist, (401, 404, 503), auth=True),
        },
        "/api/v1/feed": {
            "get": op(
                "feed",
                "Posts on your followed tickers, newest first",
                200,
                PostPage,
                (401, 422, 503),
                auth=True,
                query=query_parameters(PageQuery),
            ),
        },
        "/api/v1/cashtags/{ticker}": {
            "parameters": [TICKER],
            "get": op(
                "cashtagStats",
                "A ticker: posts per day (30 days), sentiment split (7 and 30 days)",
                200,
                CashtagStats,
                (404, 503),
            ),
        },
    }
