"""The building blocks every resource's OpenAPI paths are written with.

One place for the shape of a reference, a JSON body, a response, the error
responses and their texts, query and path parameters and an operation, so
each resource module states only what is its own.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from finboard.contract.errors import Error
from finboard.contract.fields import TICKER_PATTERN
from finboard.contract.limits import MAX_BODY_BYTES, MAX_JSON_DEPTH, SLUG_MAX

REF = "#/components/schemas/{model}"
BEARER = [{"bearerAuth": []}]
WRITE_ERRORS = (400, 401, 413, 422, 503)
MODERATED_ERRORS = (400, 401, 403, 404, 409, 413, 422, 503)

LIST_DESCRIPTIONS = {
    "page": "Page number, from 1.",
    "per_page": "Items per page (1-100).",
    "search": "Full-text search (PostgreSQL websearch syntax; words on SQLite).",
    "category": "Category slug.",
    "author": "Author username (case-insensitive).",
    "cashtag": "Ticker, with or without $ (AAPL, $BRK.B).",
    "since": "Created at or after (ISO 8601; dates are UTC midnight).",
    "until": "Created at or before (ISO 8601).",
    "sort": "new (default), old, comments, hot (engagement decayed by age) or top (most reactions in period).",
    "period": "With sort=top: day, week, month or all (default).",
}

ERROR_TEXTS = {
    400: f"Malformed JSON body: not UTF-8, not JSON, or nested more than {MAX_JSON_DEPTH} levels deep",
    401: "Missing, invalid or expired bearer token",
    403: "Not allowed: not the author, not a moderator, suspended, the post is locked, "
    "the post's author blocks you (code blocked), or the author deletes what a moderator hid (code hidden)",
    404: "Not found",
    409: "Conflict: a username already taken, already reported, or nothing to change",
    413: f"Request body over {MAX_BODY_BYTES // 1024} KiB",
    422: "Invalid fields (named in error.fields)",
    429: "Too many attempts, or the account's allowance of posts, comments or reactions is used up",
    503: "Database unavailable",
}


def ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": REF.format(model=model.__name__)}


def json_body(model: type[BaseModel]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": ref(model)}}}


def response(description: str, model: type[BaseModel] | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = {"description": description}
    if model is not None:
        answer["content"] = {"application/json": {"schema": ref(model)}}
    return answer


def errors(*statuses: int, texts: dict[int, str] | None = None) -> dict[str, Any]:
    """The error responses, each described by ``texts`` (this operation's own words) or ``ERROR_TEXTS``."""
    texts = {**ERROR_TEXTS, **(texts or {})}
    return {str(code): response(texts[code], Error) for code in statuses}


def query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    """Every field of a query model as an optional query parameter, described from ``LIST_DESCRIPTIONS``."""
    properties = model.model_json_schema()["properties"]
    return [
        {
            "name": name,
            "in": "query",
            "required": False,
            "schema": properties[name],
            "description": LIST_DESCRIPTIONS.get(name, name),
        }
        for name in properties
    ]


def path_parameter(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema}


def id_parameter(name: str) -> dict[str, Any]:
    """A row id in the path: a positive PostgreSQL ``integer``."""
    return path_parameter(name, {"type": "integer", "minimum": 1, "maximum": 2**31 - 1})


POST_ID = id_parameter("post_id")
USERNAME = path_parameter("username", {"type": "string", "maxLength": 32})
TICKER = path_parameter("ticker", {"type": "string", "pattern": TICKER_PATTERN})
SLUG = path_parameter("slug", {"type": "string", "pattern": "^[a-z0-9-]+$", "maxLength": SLUG_MAX})


def operation(
    operation_id: str,
    summary: str,
    status: int,
    model: type[BaseModel] | None,
    error_statuses: tuple[int, ...],
    *,
    body: type[BaseModel] | None = None,
    auth: bool = False,
    query: list[dict[str, Any]] | None = None,
    description: str | None = None,
    error_texts: dict[int, str] | None = None,
) -> dict[str, Any]:
    """One operation; its success response is described "OK", "Created" or ``description``,
    its errors by ``error_texts`` where the shared text would say more than it can answer."""
    built: dict[str, Any] = {"operationId": operation_id, "summary": summary}
    if auth:
        built["security"] = BEARER
    if query:
        built["parameters"] = query
    if body is not None:
        built["requestBody"] = json_body(body)
    ok = description or {200: "OK", 201: "Created", 202: "Accepted", 204: "No content"}[status]
    built["responses"] = {str(status): response(ok, model), **errors(*error_statuses, texts=error_texts)}
    return built
