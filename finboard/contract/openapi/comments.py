"""OpenAPI paths of comments: listing a post's, writing one (or a reply), editing one and its history."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from finboard.contract.comments import (
    CommentCreate,
    CommentPage,
    CommentPublic,
    CommentRevision,
    CommentRevisionList,
    CommentUpdate,
)
from finboard.contract.openapi.operations import POST_ID, WRITE_ERRORS, id_parameter, operation, query_parameters
from finboard.contract.pagination import PageQuery

MODELS: list[type[BaseModel]] = [
    CommentCreate,
    CommentPublic,
    CommentPage,
    CommentUpdate,
    CommentRevision,
    CommentRevisionList,
]
COMMENT_ID = id_parameter("comment_id")


def paths() -> dict[str, Any]:
    return {
        "/api/v1/posts/{post_id}/comments": {
            "parameters": [POST_ID],
            "get": operation(
                "listComments",
                "Comments, oldest first",
                200,
                CommentPage,
                (404, 422, 503),
                query=query_parameters(PageQuery),
                description="A page of comments",
            ),
            "post": operation(
                "createComment",
                "Comment on a post",
                201,
                CommentPublic,
                (*WRITE_ERRORS, 403, 404, 429),
                body=CommentCreate,
                auth=True,
            ),
        },
    }


def edit_paths() -> dict[str, Any]:
    """A comment's edit (its author only) and its earlier bodies."""
    return {
        "/api/v1/comments/{comment_id}": {
            "parameters": [COMMENT_ID],
            "patch": operation(
                "updateComment",
                "Edit your comment (the replaced body is kept in its history)",
                200,
                CommentPublic,
                (*WRITE_ERRORS, 403, 404),
                body=CommentUpdate,
                auth=True,
            ),
        },
        "/api/v1/comments/{comment_id}/history": {
            "parameters": [COMMENT_ID],
            "get": operation(
                "commentHistory",
                "A comment's earlier bodies, newest edit first",
                200,
                CommentRevisionList,
                (404, 503),
            ),
        },
    }
