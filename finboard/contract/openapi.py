"""The OpenAPI 3.1 document of /api/v1, generated from the shared schemas.

Every backend serves exactly this document (FastAPI's own generator is
switched off), so clients and the conformance suite see one contract.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from finboard.contract.categories import CategoryList, CategoryStatsList
from finboard.contract.comments import CommentCreate, CommentPage, CommentPublic
from finboard.contract.errors import Error
from finboard.contract.health import Health
from finboard.contract.limits import MAX_BODY_BYTES, MAX_JSON_DEPTH
from finboard.contract.openapi_member_paths import MEMBER_MODELS, member_paths
from finboard.contract.pagination import PageQuery
from finboard.contract.posts import PostCreate, PostDetail, PostListQuery, PostPage, PostPublic, PostUpdate
from finboard.contract.users import LoginRequest, Token, UserCreate, UserPublic

REF = "#/components/schemas/{model}"


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": REF.format(model=model.__name__)}


def _json_body(model: type[BaseModel]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": _ref(model)}}}


def _response(description: str, model: type[BaseModel] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {"description": description}
    if model is not None:
        response["content"] = {"application/json": {"schema": _ref(model)}}
    return response


def _errors(*statuses: int) -> dict[str, Any]:
    texts = {
        400: f"Malformed JSON body: not UTF-8, not JSON, or nested more than {MAX_JSON_DEPTH} levels deep",
        401: "Missing, invalid or expired bearer token",
        403: "Not allowed: not the author, not a moderator, suspended, the post is locked, "
        "or the author deletes what a moderator hid (code hidden)",
        404: "Not found",
        409: "Conflict: already registered, already reported, or nothing to change",
        413: f"Request body over {MAX_BODY_BYTES // 1024} KiB",
        422: "Invalid fields (named in error.fields)",
        429: "Too many attempts, or the account's hourly allowance of posts or comments is used up",
        503: "Database unavailable",
    }
    return {str(code): _response(texts[code], Error) for code in statuses}


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


def _query_parameters(model: type[BaseModel], descriptions: dict[str, str]) -> list[dict[str, Any]]:
    properties = model.model_json_schema()["properties"]
    return [_query(name, properties[name], descriptions.get(name, name)) for name in properties]


POST_ID = {
    "name": "post_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
}
BEARER = [{"bearerAuth": []}]
WRITE_ERRORS = (400, 401, 413, 422, 503)

LIST_DESCRIPTIONS = {
    "page": "Page number, from 1.",
    "per_page": "Items per page (1-100).",
    "search": "Full-text search (PostgreSQL websearch syntax; words on SQLite).",
    "category": "Category slug.",
    "author": "Author username (case-insensitive).",
    "cashtag": "Ticker, with or without $ (AAPL, $BRK.B).",
    "since": "Created at or after (ISO 8601; dates are UTC midnight).",
    "until": "Created at or before (ISO 8601).",
    "sort": "new (default), old or comments.",
}

COMPONENT_MODELS: list[type[BaseModel]] = [
    Error,
    UserCreate,
    UserPublic,
    LoginRequest,
    Token,
    CategoryList,
    CategoryStatsList,
    PostCreate,
    PostUpdate,
    PostPublic,
    PostDetail,
    PostPage,
    CommentCreate,
    CommentPublic,
    CommentPage,
    Health,
    *MEMBER_MODELS,
]


def _operation(operation_id, summary, status, model, errors, *, body=None, auth=False, query=None) -> dict[str, Any]:
    operation: dict[str, Any] = {"operationId": operation_id, "summary": summary}
    if auth:
        operation["security"] = BEARER
    if query:
        operation["parameters"] = query
    if body is not None:
        operation["requestBody"] = _json_body(body)
    operation["responses"] = {str(status): _response("OK" if status == 200 else "Created", model), **_errors(*errors)}
    return operation


@lru_cache(maxsize=1)
def openapi_document() -> dict[str, Any]:
    _, definitions = models_json_schema(
        [(model, "validation") for model in COMPONENT_MODELS[:1]]
        + [(model, "serialization") for model in COMPONENT_MODELS[1:]],
        ref_template=REF,
    )
    # Request bodies are validated in "validation" mode; their schemas are the same either way.
    components = definitions["$defs"]
    paths = {
        "/api/v1/auth/register": {
            "post": {
                "operationId": "register",
                "summary": "Create an account",
                "requestBody": _json_body(UserCreate),
                "responses": {
                    "201": _response("Created", UserPublic),
                    **_errors(400, 409, 413, 422, 429, 503),
                },
            }
        },
        "/api/v1/auth/login": {
            "post": {
                "operationId": "login",
                "summary": "Exchange a username (or email) and password for a bearer token",
                "requestBody": _json_body(LoginRequest),
                "responses": {"200": _response("A token", Token), **_errors(400, 401, 413, 422, 429, 503)},
            }
        },
        "/api/v1/posts": {
            "get": {
                "operationId": "listPosts",
                "summary": "Posts, newest first, with filters",
                "parameters": _query_parameters(PostListQuery, LIST_DESCRIPTIONS),
                "responses": {"200": _response("A page of posts", PostPage), **_errors(422, 503)},
            },
            "post": {
                "operationId": "createPost",
                "summary": "Write a post",
                "security": BEARER,
                "requestBody": _json_body(PostCreate),
                "responses": {"201": _response("Created", PostPublic), **_errors(*WRITE_ERRORS, 403, 429)},
            },
        },
        "/api/v1/posts/{post_id}": {
            "parameters": [POST_ID],
            "get": {
                "operationId": "getPost",
                "summary": "A post with its newest comments",
                "responses": {"200": _response("The post", PostDetail), **_errors(404, 503)},
            },
            "patch": {
                "operationId": "updatePost",
                "summary": "Edit your post",
                "security": BEARER,
                "requestBody": _json_body(PostUpdate),
                "responses": {"200": _response("Updated", PostPublic), **_errors(*WRITE_ERRORS, 403, 404)},
            },
            "delete": {
                "operationId": "deletePost",
                "summary": "Delete your post",
                "security": BEARER,
                "responses": {"204": _response("Deleted"), **_errors(401, 403, 404, 503)},
            },
        },
        "/api/v1/posts/{post_id}/comments": {
            "parameters": [POST_ID],
            "get": {
                "operationId": "listComments",
                "summary": "Comments, oldest first",
                "parameters": _query_parameters(PageQuery, LIST_DESCRIPTIONS),
                "responses": {
                    "200": _response("A page of comments", CommentPage),
                    **_errors(404, 422, 503),
                },
            },
            "post": {
                "operationId": "createComment",
                "summary": "Comment on a post",
                "security": BEARER,
                "requestBody": _json_body(CommentCreate),
                "responses": {"201": _response("Created", CommentPublic), **_errors(*WRITE_ERRORS, 403, 404, 429)},
            },
        },
        "/api/v1/categories": {
            "get": {
                "operationId": "listCategories",
                "summary": "Every category",
                "responses": {"200": _response("Categories", CategoryList), **_errors(503)},
            }
        },
        "/api/v1/stats/categories": {
            "get": {
                "operationId": "categoryStats",
                "summary": "Per category: posts, comments, distinct authors, newest post",
                "responses": {"200": _response("Statistics", CategoryStatsList), **_errors(503)},
            }
        },
        "/api/v1/healthz": {
            "get": {
                "operationId": "health",
                "summary": "200 when the database answers",
                "responses": {"200": _response("Healthy", Health), **_errors(503)},
            }
        },
        **member_paths(_operation, lambda model: _query_parameters(model, LIST_DESCRIPTIONS)),
        "/api/v1/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "This document",
                "responses": {"200": {"description": "OpenAPI 3.1 document"}},
            }
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "FinBoard API",
            "version": "1.0.0",
            "description": "The same API served by the Flask, FastAPI and Django backends.",
        },
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }


@lru_cache(maxsize=1)
def openapi_json() -> str:
    return json.dumps(openapi_document(), separators=(",", ":"), sort_keys=False)
