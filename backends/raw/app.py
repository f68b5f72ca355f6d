"""The raw backend: ``gunicorn backends.raw.app:application --worker-class sync``.

A plain WSGI callable and a router on PATH_INFO/REQUEST_METHOD, answering the
read operations of /api/v1 with the same status and bytes as the Flask reference:

    GET /api/v1/posts                  page + count (2 statements)
    GET /api/v1/posts/{id}             post + newest 20 comments (2)
    GET /api/v1/posts/{id}/comments    page + the post's comment_count (2)
    GET /api/v1/categories             (1)
    GET /api/v1/stats/categories       one aggregate (1)
    GET /api/v1/healthz                SELECT 1
    GET /api/v1/openapi.json           the shared document

HEAD is a GET without the body and OPTIONS answers the allowed methods, as Flask
does. Raw is read-only: the contract's writes (POST /posts, PATCH/DELETE
/posts/{id}, POST /posts/{id}/comments, POST /auth/register and /auth/login)
answer 405 with the shared error body; any other path is the shared 404
(the community and market operations included: raw serves the core reads).

Validation is the contract's own (``parse_query`` with the pydantic query
schemas, ``parse_id``), so every 404/422 is byte-identical to the other
backends; a request without a query string skips it (its defaults are known).
Nothing is cached: every request runs its SQL.

Importing this module reads the settings (a SQLite DATABASE_URL stops the worker
from booting with a clear error) but opens no connection: the pool is created by
the first request of each worker process.
"""

from __future__ import annotations

import codecs
import logging
from http import HTTPStatus
from urllib.parse import parse_qsl, quote

import psycopg

from finboard.contract.errors import ApiError, http_error
from finboard.contract.openapi import openapi_json
from finboard.contract.pagination import PageQuery
from finboard.contract.posts import PostListQuery
from finboard.contract.request_parsing import API_PREFIX, JSON_CONTENT_TYPE, parse_id, parse_query
from finboard.core.security_headers import API_SECURITY_HEADERS
from finboard.rawsql import documents as render
from finboard.rawsql import reads as pg_reads
from finboard.rawsql import statements as sql
from finboard.rawsql.pool import Database
from finboard.rawsql.reads import DEFAULT_LIST_QUERY
from finboard.settings import load_settings

logger = logging.getLogger("finboard.raw")

STATUS_LINES = {status.value: f"{status.value} {status.phrase}" for status in HTTPStatus}
READ_METHODS = "GET, HEAD, OPTIONS"
WRITE_ONLY_METHODS = "OPTIONS"  # a write route of the contract: raw serves none of its methods
ERROR_BODIES = {status: http_error(status).json().encode() for status in (404, 405, 500, 503)}
QUERY_ERRORS = "finboard.raw.url_quote"
SECURITY_HEADERS = list(API_SECURITY_HEADERS.items())


def _quote_invalid(error: UnicodeDecodeError) -> tuple[str, int]:
    """Percent escapes that are not UTF-8 stay percent-encoded (as Werkzeug decodes them)."""
    return quote(error.object[error.start : error.end], safe=""), error.end


codecs.register_error(QUERY_ERRORS, _quote_invalid)


def query_items(environ: dict) -> list[tuple[str, str]]:
    """The query string's pairs exactly as Flask (Werkzeug) reads ``request.args``."""
    raw = environ.get("QUERY_STRING", "").encode("latin-1").decode()
    return parse_qsl(raw, keep_blank_values=True, errors=QUERY_ERRORS)


DEFAULT_PAGE_QUERY = PageQuery()


class RawApp:
    """The WSGI callable. Handlers return the 200 body or raise ``ApiError``."""

    def __init__(self, database: Database):
        self.db = database
        self._openapi: bytes | None = None
        prefix = API_PREFIX
        self.static_routes = {
            f"{prefix}/posts": (self.list_posts, READ_METHODS),
            f"{prefix}/categories": (self.categories, READ_METHODS),
            f"{prefix}/stats/categories": (self.category_stats, READ_METHODS),
            f"{prefix}/healthz": (self.healthz, READ_METHODS),
            f"{prefix}/openapi.json": (self.openapi, READ_METHODS),
            f"{prefix}/auth/register": (None, WRITE_ONLY_METHODS),
            f"{prefix}/auth/login": (None, WRITE_ONLY_METHODS),
        }
        self.post_prefix = f"{prefix}/posts/"

    # --- routing ----------------------------------------------------------------

    def route(self, path: str):
        """(handler or None, allowed methods, path id) or None for an unknown path.

        ``{post_id}`` is any non-empty segment (Flask's default converter); the
        handler turns anything that is not a valid id into the shared 404.
        """
        found = self.static_routes.get(path)
        if found is not None:
            return found[0], found[1], None
        if path.startswith(self.post_prefix):
            rest = path[len(self.post_prefix) :]
            slash = rest.find("/")
            if slash == -1:
                return (self.post_detail, READ_METHODS, rest) if rest else None
            if slash > 0 and rest[slash + 1 :] == "comments":
                return self.comments, READ_METHODS, rest[:slash]
        return None

    def __call__(self, environ: dict, start_response):
        method = environ["REQUEST_METHOD"]
        found = self.route(environ.get("PATH_INFO", ""))
        allow = None
        if found is None:
            status, body = 404, ERROR_BODIES[404]
        else:
            handler, allow, path_id = found
            if handler is not None and (method == "GET" or method == "HEAD"):
                status, body = self.dispatch(handler, environ, path_id)
            elif method == "OPTIONS":
                start_response("200 OK", [("Allow", allow), ("Content-Length", "0"), *SECURITY_HEADERS])
                return []
            else:
                status, body = 405, ERROR_BODIES[405]
        headers = [("Content-Type", JSON_CONTENT_TYPE), ("Content-Length", str(len(body))), *SECURITY_HEADERS]
        if status == 405:
            headers.append(("Allow", allow))
        start_response(STATUS_LINES[status], headers)
        return [] if method == "HEAD" else [body]

    def dispatch(self, handler, environ: dict, path_id: str | None) -> tuple[int, bytes]:
        """Run a handler; errors become the shared error bodies (database down: 503)."""
        try:
            return 200, handler(environ, path_id)
        except ApiError as exc:
            return exc.status, exc.json().encode()
        except (psycopg.OperationalError, psycopg.InterfaceError, OSError) as exc:
            logger.error("database unavailable: %s: %s", exc.__class__.__name__, exc)
            return 503, ERROR_BODIES[503]
        except Exception:  # noqa: BLE001 - never a stack trace, always the error shape
            logger.exception("unhandled error")
            return 500, ERROR_BODIES[500]

    # --- handlers -----------------------------------------------------------------

    def list_posts(self, environ: dict, _path_id: None) -> bytes:
        query = parse_query(query_items(environ), PostListQuery) if environ.get("QUERY_STRING") else DEFAULT_LIST_QUERY
        with self.db.connection() as conn:
            return pg_reads.posts(conn, query)

    def post_detail(self, _environ: dict, path_id: str) -> bytes:
        post_id = parse_id(path_id)
        with self.db.connection() as conn:
            return pg_reads.post(conn, post_id)

    def comments(self, environ: dict, path_id: str) -> bytes:
        post_id = parse_id(path_id)
        query = parse_query(query_items(environ), PageQuery) if environ.get("QUERY_STRING") else DEFAULT_PAGE_QUERY
        with self.db.connection() as conn:
            return pg_reads.comments(conn, post_id, query)

    def categories(self, _environ: dict, _path_id: None) -> bytes:
        with self.db.connection() as conn:
            return pg_reads.categories(conn)

    def category_stats(self, _environ: dict, _path_id: None) -> bytes:
        with self.db.connection() as conn:
            return pg_reads.category_stats(conn)

    def healthz(self, _environ: dict, _path_id: None) -> bytes:
        with self.db.connection() as conn:
            conn.execute(sql.HEALTH)
        return render.HEALTH

    def openapi(self, _environ: dict, _path_id: None) -> bytes:
        if self._openapi is None:
            self._openapi = openapi_json().encode()
        return self._openapi


def create_app() -> RawApp:
    """The app for the environment's DATABASE_URL (PostgreSQL only)."""
    # raw signs nothing, so it needs no SECRET_KEY.
    return RawApp(Database.from_settings(load_settings(require_secret=False)))


class _LazyApplication:
    """Builds the app on the first request, so importing this module never fails.

    (The registry imports it to check dependencies, whatever DATABASE_URL says;
    a SQLite URL surfaces as a ConfigError in the server log and a failed
    health check instead.)
    """

    def __init__(self):
        self._app: RawApp | None = None

    def __call__(self, environ: dict, start_response):
        if self._app is None:
            self._app = create_app()
        return self._app(environ, start_response)


application = _LazyApplication()
