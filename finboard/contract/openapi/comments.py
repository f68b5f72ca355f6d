"""OpenAPI paths of a post's comments: listing them and writing one."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from finboard.contract.comments import CommentCreate, CommentPage, CommentPublic
from finboard.contract.openapi.operations import POST_ID, WRITE_ERRORS, operation, query_parameters
from finboard.contract.pagination import PageQuery

MODELS: list[type[BaseModel]] = [CommentCreate, CommentPublic, CommentPage]


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
