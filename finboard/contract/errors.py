"""The /api/v1 errors: status codes, the message table, ``ApiError`` and its JSON body.

Every backend raises ``ApiError`` and answers with ``ApiError.json()``, so the
same failure reads byte-for-byte the same whichever framework serves it.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from finboard.contract.base import Schema
from finboard.contract.limits import MAX_BODY_BYTES, MAX_JSON_DEPTH

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
    "empty_update": "Nothing to update: send title, body, category, sentiment, positions or sentiments.",
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
    "blocked": "The author of this post has blocked you: you cannot comment on it.",
    "comment_hidden": "A moderator hid this comment: it is kept for moderation and cannot be deleted.",
    "two_factor_required": "This account has two-factor login: send the 6-digit code or a recovery code as `code`.",
    "invalid_two_factor_code": "That code is wrong, expired or already used.",
    "two_factor_enabled": "Two-factor login is already on.",
    "two_factor_not_enabled": "Two-factor login is off.",
    "two_factor_not_started": "Start with POST /api/v1/auth/two-factor/setup.",
    "wrong_code": "That code is wrong, expired or already used.",
    "wrong_password": "That is not your current password.",
    "reactions_rate_limited": "Too many reactions in a minute. Try again shortly.",
    "two_factor_enrolment_required": "Moderators and admins must turn on two-factor login first (Settings).",
}
UNKNOWN_CATEGORY = "Unknown category."
USERNAME_TAKEN = "Already taken."


class ErrorBody(Schema):
    code: str
    message: str
    fields: dict[str, str] = Field(default_factory=dict)


class Error(Schema):
    error: ErrorBody


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


def first_error_fields(errors: list[dict[str, Any]]) -> dict[str, str]:
    """pydantic's error list as {field: message}, the shape of ``Error.fields``."""
    fields: dict[str, str] = {}
    for err in errors:
        loc = [str(part) for part in err.get("loc", ()) if part not in ("body", "query")]
        name = ".".join(loc) or "body"
        message = err.get("msg", "invalid value").removeprefix("Value error, ")
        fields.setdefault(name, message)
    return fields
