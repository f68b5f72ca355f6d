"""OpenAPI paths of posts: the filtered list, one post, writing, editing, deleting, its edit history."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from finboard.contract.openapi.operations import POST_ID, WRITE_ERRORS, operation, query_parameters
from finboard.contract.posts import (
    PostCreate,
    PostDetail,
    PostListQuery,
    PostPage,
    PostPublic,
    PostUpdate,
    RevisionList,
)

MODELS: list[type[BaseModel]] = [PostCreate, PostUpdate, PostPublic, PostDetail, PostPage, RevisionList]


def paths() -> dict[str, Any]:
    return {
        "/api/v1/posts": {
            "get": operation(
                "listPosts",
                "Posts, newest first, with filters",
                200,
                PostPage,
                (404, 422, 503),
                query=query_parameters(PostListQuery),
                description="A page of posts (404: the category or author the filters name does not exist)",
            ),
            "post": operation(
                "createPost", "Write a post", 201, PostPublic, (*WRITE_ERRORS, 403, 429), body=PostCreate, auth=True
            ),
        },
        "/api/v1/posts/{post_id}": {
            "parameters": [POST_ID],
            "get": operation(
                "getPost", "A post with its newest comments", 200, PostDetail, (404, 503), description="The post"
            ),
            "patch": operation(
                "updatePost",
                "Edit your post",
                200,
                PostPublic,
                (*WRITE_ERRORS, 403, 404),
                body=PostUpdate,
                auth=True,
                description="Updated",
            ),
            "delete": operation(
                "deletePost", "Delete your post", 204, None, (401, 403, 404, 503), auth=True, description="Deleted"
            ),
        },
    }


def revision_paths() -> dict[str, Any]:
    return {
        "/api/v1/posts/{post_id}/revisions": {
            "parameters": [POST_ID],
            "get": operation(
                "listRevisions", "Earlier versions of a post, newest edit first", 200, RevisionList, (404, 503)
            ),
        },
    }
