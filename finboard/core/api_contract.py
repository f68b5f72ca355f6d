"""The /api/v1 behaviour every backend must share, beyond the schemas:
error messages, how request bodies and query strings are read, id bounds.

Keeping these in one framework-free module is what lets the Flask, FastAPI
and Django adapters answer byte-for-byte the same for the same request.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from finboard.core.schemas import Error, ErrorBody, first_error_fields

API_PREFIX = "/api/v1"
MAX_BODY_BYTES = 64 * 1024
# JSON bodies nest at most this deep (the contract's deepest body is 3 levels);
# checked before parsing, so no nesting reaches the parser's recursion limit.
MAX_JSON_DEPTH = 64
MAX_ID = 2**31 - 1  # the id columns are 32-bit integers
JSON_CONTENT_TYPE = "application/json"

ModelT = TypeVar("ModelT", bound=BaseModel)

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
    503: "service_unavailable",
}

MESSAGES = {
    "invalid_json": "The request body is not valid JSON.",
    "not_object": "The request body must be a JSON object.",
    "too_deep": f"The request body nests JSON deeper than {MAX_JSON_DEPTH} levels.",
    "invalid": "Some fields are invalid.",
    "unauthorized": "A valid bearer token is required.",
    "invalid_credentials": "Unknown username or wrong password.",
    "forbidden": "Only the author can change this.",
    "not_found": "Not found.",
    "post_not_found": "Post not found.",
    "method_not_allowed": "Method not allowed.",
    "conflict": "That username or email is already registered.",
    "too_large": f"The request body is larger than {MAX_BODY_BYTES // 1024} KiB.",
    "rate_limited": "Too many attempts. Try again later.",
    "unavailable": "The database is not answering. Try again in a moment.",
    "internal": "An unexpected error happened.",
    "empty_update": "Nothing to update: send title, body, category, sentiment or positions.",
    "moderators_only": "Only moderators can do this.",
    "outranked": "You can only moderate users below your own role.",
    "locked": "This post is locked: it takes no new comments.",
    "already_reported": "You have already reported this; a moderator will look at it.",
    "user_not_found": "User not found.",
    "comment_not_found": "Comment not found.",
    "report_not_found": "Report not found.",
    "category_not_found": "Category not found.",
    "report_resolved": "This report is already resolved.",
    "post_hidden": "A moderator hid this post: it is kept for moderation and cannot be deleted.",
    "comment_hidden": "A moderator hid this comment: it is kept for moderation and cannot be deleted.",
}
UNKNOWN_CATEGORY = "Unknown category."
USERNAME_TAKEN = "Already taken."
EMAIL_TAKEN = "Already registered."


class ApiError(Exception):
    """Raised anywhere in a request; each adapter turns it into a response."""

    def __init__(self, status: int, message_key: str, fields: dict[str, str] | None = None, code: str | None = None):
        super().__init__(message_key)
        self.status = status
        self.message = MESSAGES.get(message_key, message_key)
        self.fields = fields or {}
        self.code = code or CODES.get(status, "error")

    def body(self) -> Error:
        return Error(error=ErrorBody(code=self.code, message=self.message, fields=self.fields))

    def json(self) -> str:
        return self.body().model_dump_json()


# The message for each status an adapter answers outside its views
# (unknown route, wrong method, oversized body, rate limit, database down).
HTTP_ERROR_MESSAGE_KEYS = {
    400: "invalid_json",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    429: "rate_limited",
    503: "unavailable",
}


def http_error(status: int) -> ApiError:
    """The shared error for a framework-level HTTP status."""
    return ApiError(status, HTTP_ERROR_MESSAGE_KEYS.get(status, "internal"))


# Strings (whose brackets do not nest) and the brackets that do.
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_JSON_BRACKET = re.compile(rb"[\[\]{}]")


def json_depth_exceeds(raw: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether ``raw`` opens more than ``limit`` arrays/objects inside each other.

    A body with no more than ``limit`` brackets in all cannot (the common case
    costs two byte counts); otherwise strings are skipped and brackets counted.
    Malformed JSON is the parser's to reject: this only bounds how deep it goes.
    """
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    depth = 0
    for match in _JSON_BRACKET.finditer(_JSON_STRING.sub(b'""', raw)):
        if match.group() in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def load_json(raw: bytes) -> Any:
    """Request-body bytes → a JSON value, with the shared 413/400 answers:
    over MAX_BODY_BYTES is a 413, nested deeper than MAX_JSON_DEPTH or not
    JSON (or not UTF-8) is a 400. Never a RecursionError."""
    if len(raw) > MAX_BODY_BYTES:
        raise ApiError(413, "too_large")
    if json_depth_exceeds(raw):
        raise ApiError(400, "too_deep")
    try:
        return json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ApiError(400, "invalid_json") from exc


def login_name(raw: bytes | None) -> str:
    """The account a login attempt targets, read from the raw body before it is
    validated (rate limits come first); "" when the body has none to read."""
    try:
        data = load_json(raw or b"")
    except ApiError:
        return ""
    name = data.get("username") if isinstance(data, dict) else None
    return name if isinstance(name, str) else ""


def parse_body(raw: bytes, schema: type[ModelT]) -> ModelT:
    """Bytes → schema, with the shared 413/400/422 answers."""
    data = load_json(raw)
    if not isinstance(data, dict):
        raise ApiError(422, "not_object", {"body": "Expected a JSON object."})
    return validate(schema, data)


def validate(schema: type[ModelT], data: dict[str, Any]) -> ModelT:
    try:
        model = schema.model_validate(data)
    except ValidationError as exc:
        raise ApiError(422, "invalid", first_error_fields(exc.errors(include_url=False))) from exc
    problems = getattr(model, "problems", None)
    fields = problems() if problems else None
    if fields:
        raise ApiError(422, "invalid", fields)
    return model


def query_dict(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Query parameters as a dict: the first value of a repeated parameter wins."""
    result: dict[str, str] = {}
    for key, value in items:
        result.setdefault(key, value)
    return result


def parse_query(items: Iterable[tuple[str, str]], schema: type[ModelT]) -> ModelT:
    fields = schema.model_fields
    return validate(schema, {k: v for k, v in query_dict(items).items() if k in fields})


def parse_path_text(raw: str) -> str:
    """A path parameter that is text (username, slug, ticker): one holding a
    control character (NUL included, which PostgreSQL refuses in any string)
    or a lone surrogate names nothing, so it is the shared 404, checked first
    like a bad id."""
    if any(ord(char) < 32 or 127 <= ord(char) < 160 or 0xD800 <= ord(char) < 0xE000 for char in raw):
        raise ApiError(404, "not_found")
    return raw


def parse_id(raw: str | int) -> int:
    """A path id; anything that is not a positive 32-bit integer is a 404."""
    text = str(raw)
    if not (text.isascii() and text.isdigit()) or len(text) > 10 or not 0 < int(text) <= MAX_ID:
        raise ApiError(404, "not_found")
    return int(text)
