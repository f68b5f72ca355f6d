"""What the two raw apps share: routes, request parsing, answers, errors — everything but I/O.

``wsgi.py`` (sync workers) and ``asgi.py`` (uvicorn workers) differ only in
how they receive a request, run a plan on a connection and send the answer;
``resolve`` turns (method, path, query string) into either an ``Answer`` that
needs no database (404, 405, OPTIONS, a validation error, the OpenAPI
document) or a read plan (``finboard.rawsql.plans``) for the face to execute,
and ``failure`` turns whatever went wrong into the shared error body.

The routes, read-only: ``{post_id}`` is any non-empty segment (Flask's default
converter) and anything that is not a valid id becomes the shared 404; the
contract's write paths (/auth/register, /auth/login, and the write methods of
the read paths) answer 405 with an ``Allow`` that lists no write method.
Validation is the contract's own (``parse_query`` with the pydantic query
schemas, ``parse_id``), so every 404/422 is byte-identical to the other
backends; a request without a query string skips it (its defaults are known).
"""

from __future__ import annotations

import codecs
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, lru_cache
from urllib.parse import parse_qsl, quote

import psycopg

from finboard.contract.errors import ApiError, http_error
from finboard.contract.openapi import openapi_json
from finboard.contract.pagination import PageQuery
from finboard.contract.posts import PostListQuery
from finboard.contract.request_parsing import API_PREFIX, JSON_CONTENT_TYPE, parse_id, parse_query
from finboard.core.security_headers import API_SECURITY_HEADERS
from finboard.rawsql import plans
from finboard.rawsql.plans import DEFAULT_LIST_QUERY, Plan

logger = logging.getLogger("finboard.raw")

READ_METHODS = "GET, HEAD, OPTIONS"
WRITE_ONLY_METHODS = "OPTIONS"  # a write route of the contract: raw serves none of its methods
ERROR_BODIES = {status: http_error(status).json().encode() for status in (404, 405, 500, 503)}
DATABASE_UNAVAILABLE = (psycopg.OperationalError, psycopg.InterfaceError, OSError)  # pool timeouts included
QUERY_ERRORS = "finboard.raw.url_quote"
SECURITY_HEADERS = list(API_SECURITY_HEADERS.items())
DEFAULT_PAGE_QUERY = PageQuery()


@dataclass(frozen=True, slots=True)
class Answer:
    """A response: status, JSON body (empty for OPTIONS), and ``Allow`` for 405 and OPTIONS."""

    status: int
    body: bytes
    allow: str | None = None

    @property
    def headers(self) -> list[tuple[str, str]]:
        return list(header_pairs(self.status, len(self.body), self.allow))


@lru_cache(maxsize=1024)
def header_pairs(status: int, length: int, allow: str | None) -> tuple[tuple[str, str], ...]:
    """Content type and length, the shared security headers, and Allow when there is one (cached: few shapes)."""
    if status == 200 and allow is not None:  # OPTIONS: no body, no content type
        return ("Allow", allow), ("Content-Length", "0"), *SECURITY_HEADERS
    headers = (("Content-Type", JSON_CONTENT_TYPE), ("Content-Length", str(length)), *SECURITY_HEADERS)
    return headers if allow is None else (*headers, ("Allow", allow))


NOT_FOUND = Answer(404, ERROR_BODIES[404])


def _quote_invalid(error: UnicodeDecodeError) -> tuple[str, int]:
    """Percent escapes that are not UTF-8 stay percent-encoded (as Werkzeug decodes them)."""
    return quote(error.object[error.start : error.end], safe=""), error.end


codecs.register_error(QUERY_ERRORS, _quote_invalid)


def query_items(query: str | bytes) -> list[tuple[str, str]]:
    """The query string's pairs exactly as Flask (Werkzeug) reads ``request.args``.

    ``query`` is WSGI's ``QUERY_STRING`` (latin-1 text) or ASGI's ``query_string`` (bytes).
    """
    raw = query.encode("latin-1") if isinstance(query, str) else query
    return parse_qsl(raw.decode(), keep_blank_values=True, errors=QUERY_ERRORS)


# --- the reads: (query string, path id) -> a plan, or an Answer without the database ---


def list_posts(query: str | bytes, _path_id: None) -> Plan:
    return plans.posts(parse_query(query_items(query), PostListQuery) if query else DEFAULT_LIST_QUERY)


def post_detail(_query: str | bytes, path_id: str) -> Plan:
    return plans.post(parse_id(path_id))


def comments(query: str | bytes, path_id: str) -> Plan:
    post_id = parse_id(path_id)  # the id is checked before the query
    return plans.comments(post_id, parse_query(query_items(query), PageQuery) if query else DEFAULT_PAGE_QUERY)


def categories(_query: str | bytes, _path_id: None) -> Plan:
    return plans.categories()


def category_stats(_query: str | bytes, _path_id: None) -> Plan:
    return plans.category_stats()


def healthz(_query: str | bytes, _path_id: None) -> Plan:
    return plans.health()


@cache
def openapi(_query: str | bytes = b"", _path_id: None = None) -> Answer:
    return Answer(200, openapi_json().encode())


Read = Callable[[str | bytes, str | None], Plan | Answer]

ROUTES: dict[str, tuple[Read | None, str]] = {
    f"{API_PREFIX}/posts": (list_posts, READ_METHODS),
    f"{API_PREFIX}/categories": (categories, READ_METHODS),
    f"{API_PREFIX}/stats/categories": (category_stats, READ_METHODS),
    f"{API_PREFIX}/healthz": (healthz, READ_METHODS),
    f"{API_PREFIX}/openapi.json": (openapi, READ_METHODS),
    f"{API_PREFIX}/auth/register": (None, WRITE_ONLY_METHODS),
    f"{API_PREFIX}/auth/login": (None, WRITE_ONLY_METHODS),
}
POST_PREFIX = f"{API_PREFIX}/posts/"


def route(path: str) -> tuple[Read | None, str, str | None] | None:
    """(read or None, allowed methods, path id) or None for an unknown path."""
    found = ROUTES.get(path)
    if found is not None:
        return found[0], found[1], None
    if path.startswith(POST_PREFIX):
        rest = path[len(POST_PREFIX) :]
        slash = rest.find("/")
        if slash == -1:
            return (post_detail, READ_METHODS, rest) if rest else None
        if slash > 0 and rest[slash + 1 :] == "comments":
            return comments, READ_METHODS, rest[:slash]
    return None


def resolve(method: str, path: str, query: str | bytes) -> Answer | Plan:
    """The answer, or the plan whose bytes are the 200 answer; raises ``ApiError`` for a bad request."""
    found = route(path)
    if found is None:
        return NOT_FOUND
    read, allow, path_id = found
    if read is not None and (method == "GET" or method == "HEAD"):
        return read(query, path_id)
    if method == "OPTIONS":
        return Answer(200, b"", allow)
    return Answer(405, ERROR_BODIES[405], allow)


def failure(exc: Exception) -> Answer:
    """The shared error body for what a request raised: its own status, 503 when the database is away, else 500."""
    if isinstance(exc, ApiError):
        return Answer(exc.status, exc.json().encode())
    if isinstance(exc, DATABASE_UNAVAILABLE):
        logger.error("database unavailable: %s: %s", exc.__class__.__name__, exc)
        return Answer(503, ERROR_BODIES[503])
    logger.error("unhandled error", exc_info=exc)
    return Answer(500, ERROR_BODIES[500])
