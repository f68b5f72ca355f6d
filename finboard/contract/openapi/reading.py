"""OpenAPI paths of read state and bookmarks: what a member has seen of a post, and what they saved."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from finboard.contract.openapi.operations import POST_ID, operation, query_parameters
from finboard.contract.reading import (
    BookmarkPage,
    BookmarkQuery,
    BookmarkState,
    ReadState,
    ReadStateList,
    ReadStateQuery,
)

MODELS: list[type[BaseModel]] = [BookmarkState, BookmarkPage, ReadState, ReadStateList]
POST_ERRORS = (401, 404, 503)
READ_STATE = (
    "New comments are the post's visible comments above last_read_comment_id written by someone else; "
    "a post you never marked read has no read state (null, 0). Listings carry no per-member fields: "
    "they are one cached document for everyone."
)


def paths() -> dict[str, Any]:
    return {
        "/api/v1/posts/{post_id}/bookmark": {
            "parameters": [POST_ID],
            "put": operation(
                "bookmarkPost", "Bookmark a post (idempotent)", 200, BookmarkState, POST_ERRORS, auth=True
            ),
            "delete": operation("unbookmarkPost", "Remove a bookmark", 200, BookmarkState, POST_ERRORS, auth=True),
        },
        "/api/v1/bookmarks": {
            "get": operation(
                "listBookmarks",
                "Your bookmarked posts, newest bookmark first",
                200,
                BookmarkPage,
                (401, 422, 503),
                auth=True,
                query=query_parameters(BookmarkQuery),
            ),
        },
        "/api/v1/posts/{post_id}/read": {
            "parameters": [POST_ID],
            "get": operation(
                "getReadState",
                "Your read state of a post",
                200,
                ReadState,
                POST_ERRORS,
                auth=True,
                description=READ_STATE,
            ),
            "post": operation(
                "markPostRead", "Mark every comment of a post read", 200, ReadState, POST_ERRORS, auth=True
            ),
        },
        "/api/v1/read-states": {
            "get": operation(
                "listReadStates",
                "Your read state of several posts (a listing page's)",
                200,
                ReadStateList,
                (401, 422, 503),
                auth=True,
                query=query_parameters(ReadStateQuery),
                description=READ_STATE,
            ),
        },
    }
