"""The OpenAPI document: its operation set is pinned, its references resolve, its assembly refuses a repeat.

The paths are written per resource (``finboard/contract/openapi/``) and assembled in one
place; these tests catch an operation lost or added by accident while moving them, a
``$ref`` to a model no resource module declared, and two modules writing one path.
"""

from __future__ import annotations

import json

import pytest

from finboard.contract import openapi
from finboard.contract.openapi import openapi_document, openapi_json

# (method, path, operationId) in the document's order: a change here is a change of the API.
OPERATIONS = [
    ("post", "/api/v1/auth/register", "register"),
    ("post", "/api/v1/auth/login", "login"),
    ("get", "/api/v1/auth/two-factor", "getTwoFactor"),
    ("post", "/api/v1/auth/two-factor/setup", "setUpTwoFactor"),
    ("post", "/api/v1/auth/two-factor/enable", "enableTwoFactor"),
    ("post", "/api/v1/auth/two-factor/disable", "disableTwoFactor"),
    ("get", "/api/v1/posts", "listPosts"),
    ("post", "/api/v1/posts", "createPost"),
    ("get", "/api/v1/posts/{post_id}", "getPost"),
    ("patch", "/api/v1/posts/{post_id}", "updatePost"),
    ("delete", "/api/v1/posts/{post_id}", "deletePost"),
    ("get", "/api/v1/posts/{post_id}/comments", "listComments"),
    ("post", "/api/v1/posts/{post_id}/comments", "createComment"),
    ("get", "/api/v1/categories", "listCategories"),
    ("get", "/api/v1/stats/categories", "categoryStats"),
    ("get", "/api/v1/healthz", "health"),
    ("patch", "/api/v1/users/me", "updateProfile"),
    ("get", "/api/v1/users/{username}", "getProfile"),
    ("get", "/api/v1/users/{username}/comments", "listUserComments"),
    ("get", "/api/v1/posts/{post_id}/revisions", "listRevisions"),
    ("patch", "/api/v1/comments/{comment_id}", "updateComment"),
    ("get", "/api/v1/comments/{comment_id}/history", "commentHistory"),
    ("put", "/api/v1/posts/{post_id}/watch", "watchPost"),
    ("delete", "/api/v1/posts/{post_id}/watch", "unwatchPost"),
    ("put", "/api/v1/categories/{slug}/watch", "watchCategory"),
    ("delete", "/api/v1/categories/{slug}/watch", "unwatchCategory"),
    ("get", "/api/v1/categories/{slug}/pinned", "listPinned"),
    ("post", "/api/v1/reports", "createReport"),
    ("get", "/api/v1/moderation/reports", "listReports"),
    ("post", "/api/v1/moderation/reports/{report_id}/resolve", "resolveReport"),
    ("post", "/api/v1/moderation/posts/{post_id}", "moderatePost"),
    ("post", "/api/v1/moderation/comments/{comment_id}", "moderateComment"),
    ("post", "/api/v1/moderation/users/{username}", "moderateUser"),
    ("get", "/api/v1/moderation/actions", "moderationLog"),
    ("get", "/api/v1/notifications", "listNotifications"),
    ("get", "/api/v1/notifications/preferences", "getNotificationPreferences"),
    ("patch", "/api/v1/notifications/preferences", "updateNotificationPreferences"),
    ("post", "/api/v1/notifications/read", "markRead"),
    ("get", "/api/v1/watchlist", "getWatchlist"),
    ("put", "/api/v1/watchlist/{ticker}", "followTicker"),
    ("delete", "/api/v1/watchlist/{ticker}", "unfollowTicker"),
    ("get", "/api/v1/feed", "feed"),
    ("get", "/api/v1/cashtags/{ticker}", "cashtagStats"),
    ("get", "/api/v1/blocks", "getBlocks"),
    ("put", "/api/v1/blocks/{username}", "blockMember"),
    ("delete", "/api/v1/blocks/{username}", "unblockMember"),
    ("get", "/api/v1/mutes", "getMutes"),
    ("put", "/api/v1/mutes/words/{word}", "muteWord"),
    ("delete", "/api/v1/mutes/words/{word}", "unmuteWord"),
    ("put", "/api/v1/mutes/tickers/{ticker}", "muteTicker"),
    ("delete", "/api/v1/mutes/tickers/{ticker}", "unmuteTicker"),
    ("get", "/api/v1/posts/{post_id}/reactions", "getPostReactions"),
    ("post", "/api/v1/posts/{post_id}/reactions", "reactToPost"),
    ("delete", "/api/v1/posts/{post_id}/reactions", "unreactToPost"),
    ("get", "/api/v1/comments/{comment_id}/reactions", "getCommentReactions"),
    ("post", "/api/v1/comments/{comment_id}/reactions", "reactToComment"),
    ("delete", "/api/v1/comments/{comment_id}/reactions", "unreactToComment"),
    ("get", "/api/v1/trending", "getTrending"),
    ("post", "/api/v1/auth/password-reset", "requestPasswordReset"),
    ("post", "/api/v1/auth/password-reset/confirm", "resetPassword"),
    ("post", "/api/v1/auth/email/verify", "verifyEmail"),
    ("post", "/api/v1/auth/email/confirm", "confirmEmailChange"),
    ("post", "/api/v1/users/me/email/verification", "resendVerification"),
    ("post", "/api/v1/users/me/email", "changeEmail"),
    ("post", "/api/v1/users/me/export", "requestDataExport"),
    ("post", "/api/v1/users/me/deletion", "requestAccountDeletion"),
    ("delete", "/api/v1/users/me/deletion", "cancelAccountDeletion"),
    ("put", "/api/v1/posts/{post_id}/bookmark", "bookmarkPost"),
    ("delete", "/api/v1/posts/{post_id}/bookmark", "unbookmarkPost"),
    ("get", "/api/v1/bookmarks", "listBookmarks"),
    ("get", "/api/v1/posts/{post_id}/read", "getReadState"),
    ("post", "/api/v1/posts/{post_id}/read", "markPostRead"),
    ("get", "/api/v1/read-states", "listReadStates"),
    ("post", "/api/v1/uploads", "uploadImage"),
    ("post", "/api/v1/preview", "previewMarkdown"),
    ("get", "/api/v1/openapi.json", "openapi"),
]


def _operations(document: dict) -> list[tuple[str, str, str]]:
    return [
        (method, path, operation["operationId"])
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method != "parameters"
    ]


def _refs(node) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"]} if isinstance(node.get("$ref"), str) else set()
        return found.union(*(_refs(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(value) for value in node))
    return set()


def test_the_operation_set_and_order_are_pinned():
    assert _operations(openapi_document()) == OPERATIONS


def test_every_path_parameter_is_declared_on_its_path():
    for path, item in openapi_document()["paths"].items():
        names = {parameter["name"] for parameter in item.get("parameters", [])}
        placeholders = {part[1:-1] for part in path.split("/") if part.startswith("{")}
        assert names == placeholders, path


def test_every_reference_resolves_to_a_component():
    document = openapi_document()
    schemas = document["components"]["schemas"]
    refs = _refs(document["paths"]) | _refs(schemas)
    assert refs, "the document references no schema at all"
    missing = {ref for ref in refs if ref.removeprefix("#/components/schemas/") not in schemas}
    assert missing == set()


def test_the_served_json_is_the_document():
    assert json.loads(openapi_json()) == openapi_document()


def test_two_modules_writing_one_path_are_refused(monkeypatch):
    monkeypatch.setattr(openapi, "PATH_SECTIONS", (*openapi.PATH_SECTIONS, openapi.posts.paths))
    openapi.openapi_document.cache_clear()
    try:
        with pytest.raises(ValueError, match=r"/api/v1/posts"):
            openapi.openapi_document()
    finally:
        monkeypatch.undo()
        openapi.openapi_document.cache_clear()
