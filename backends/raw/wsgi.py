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

import psycopg

from backends.raw.routing import Answer, failure, resolve
from finboard.rawsql import reads
from finboard.rawsql.pool import Database
from finboard.rawsql.replicas import REPLICA_POOL_TIMEOUT, ReplicaSet
from finboard.settings import load_settings

STATUS_LINES = {status.value: f"{status.value} {status.phrase}" for status in HTTPStatus}


class RawWsgiApp:
    """The WSGI callable on one sync pool (and one per read replica, ``DATABASE_REPLICA_URLS``)."""

    def __init__(self, database: Database, replicas: ReplicaSet | None = None, replica_pools=()):
        self.db = database
        self.replicas = replicas
        self.replica_pools: list[Database] = list(replica_pools)

    def _read(self, method: str, environ: dict) -> bytes:
        """The request's plan on a replica fit to answer (a fresh plan on the primary if it fails)."""

        def run(index: int | None) -> bytes:
            database = self.db if index is None else self.replica_pools[index]
            plan = resolve(method, environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", ""))
            with database.connection() as conn:
                return reads.run(conn, plan)

        if self.replicas is None:
            return run(None)
        return self.replicas.read(run, (psycopg.OperationalError,))

    def __call__(self, environ: dict, start_response):
        method = environ["REQUEST_METHOD"]
        try:
            answer = resolve(method, environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", ""))
            if not isinstance(answer, Answer):
                answer = Answer(200, self._read(method, environ))
        except Exception as exc:  # noqa: BLE001 - never a stack trace, always the error shape
            answer = failure(exc)
        start_response(STATUS_LINES[answer.status], answer.headers)
        return [answer.body] if answer.body and method != "HEAD" else []


def _started(replicas: ReplicaSet | None) -> ReplicaSet | None:
    return replicas.start() if replicas is not None else None


def create_app() -> RawWsgiApp:
    """The app for the environment's DATABASE_URL (PostgreSQL only)."""
    # raw signs nothing, so it needs no SECRET_KEY.
    settings = load_settings(require_secret=False)
    pools = [Database(dsn, settings.db_pool_size, REPLICA_POOL_TIMEOUT) for dsn in settings.replica_psycopg_dsns()]
    return RawWsgiApp(Database.from_settings(settings), _started(ReplicaSet.from_settings(settings)), pools)


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
