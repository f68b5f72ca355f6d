"""The ``wsgi-raw`` ceiling: ``gunicorn backends.raw.wsgi:application --worker-class sync``.

A plain WSGI callable answering the read operations of /api/v1 with the same
status and bytes as the Flask reference:

    GET /api/v1/posts                  page + count (2 statements)
    GET /api/v1/posts/{id}             post + newest 20 comments (2)
    GET /api/v1/posts/{id}/comments    page + the post's comment_count (2)
    GET /api/v1/categories             (1)
    GET /api/v1/stats/categories       one aggregate (1)
    GET /api/v1/healthz                SELECT 1
    GET /api/v1/openapi.json           the shared document

HEAD is a GET without the body and OPTIONS answers the allowed methods, as Flask
does. Raw is read-only: the contract's writes answer 405 with the shared error
body; any other path is the shared 404 (the community and market operations
included: raw serves the core reads). Routing, parsing and the answers are
``backends.raw.routing`` (shared with the ASGI ceiling, ``asgi.py``); this
module runs the plans on the sync face of the SQL layer
(``finboard.rawsql.reads`` on ``finboard.rawsql.pool``). Nothing is cached:
every request runs its SQL.

Importing this module reads nothing and opens no connection: the settings are
read (a SQLite DATABASE_URL refused) and the pool created by the first request
of each worker process.
"""

from __future__ import annotations

from http import HTTPStatus

from backends.raw.routing import Answer, failure, resolve
from finboard.rawsql import reads
from finboard.rawsql.pool import Database
from finboard.settings import load_settings

STATUS_LINES = {status.value: f"{status.value} {status.phrase}" for status in HTTPStatus}


class RawWsgiApp:
    """The WSGI callable on one sync pool."""

    def __init__(self, database: Database):
        self.db = database

    def __call__(self, environ: dict, start_response):
        method = environ["REQUEST_METHOD"]
        try:
            answer = resolve(method, environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", ""))
            if not isinstance(answer, Answer):
                with self.db.connection() as conn:
                    answer = Answer(200, reads.run(conn, answer))
        except Exception as exc:  # noqa: BLE001 - never a stack trace, always the error shape
            answer = failure(exc)
        start_response(STATUS_LINES[answer.status], answer.headers)
        return [answer.body] if answer.body and method != "HEAD" else []


def create_app() -> RawWsgiApp:
    """The app for the environment's DATABASE_URL (PostgreSQL only)."""
    # raw signs nothing, so it needs no SECRET_KEY.
    return RawWsgiApp(Database.from_settings(load_settings(require_secret=False)))


class _LazyApplication:
    """Builds the app on the first request, so importing this module never fails.

    (The registry imports it to check dependencies, whatever DATABASE_URL says;
    a SQLite URL surfaces as a ConfigError in the server log and a failed
    health check instead.)
    """

    def __init__(self):
        self._app: RawWsgiApp | None = None

    def __call__(self, environ: dict, start_response):
        if self._app is None:
            self._app = create_app()
        return self._app(environ, start_response)


application = _LazyApplication()
