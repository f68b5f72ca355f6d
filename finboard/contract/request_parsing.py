"""How a request's body, query string and path parameters are read, the same in every backend.

Raw bytes and strings in, validated schemas out, or an ``ApiError`` with the
shared 400/404/413/422 answer; no framework is involved, so the Flask, FastAPI,
Django and raw adapters read the same request the same way.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from finboard.contract.errors import ApiError, first_error_fields
from finboard.contract.limits import MAX_BODY_BYTES, MAX_ID, MAX_JSON_DEPTH

API_PREFIX = "/api/v1"
JSON_CONTENT_TYPE = "application/json"

ModelT = TypeVar("ModelT", bound=BaseModel)

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
    return body_text(raw, "username")


def body_text(raw: bytes | None, name: str) -> str:
    """A string field of the raw body, read before validation (for rate limits); "" when absent."""
    try:
        data = load_json(raw or b"")
    except ApiError:
        return ""
    value = data.get(name) if isinstance(data, dict) else None
    return value if isinstance(value, str) else ""


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
