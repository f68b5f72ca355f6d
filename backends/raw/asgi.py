"""The ``asgi-raw`` ceiling: ``gunicorn backends.raw.asgi:application -k backends.asgi_worker.TunedUvicornWorker``.

The same reads, routes, errors, health check and read-only 405s as the WSGI
ceiling (``wsgi.py``; both are ``backends.raw.routing``), as a bare ASGI 3
callable on the async face of the same SQL layer (``finboard.rawsql.async_reads``
on one ``AsyncConnectionPool`` per worker, ``finboard.rawsql.async_pool``): what
an async server costs without a framework, the ceiling FastAPI is measured
against. No framework, no ORM, nothing cached: every request runs its SQL.

The settings are read and the pool opened by the ASGI lifespan's startup, in
the worker's own event loop (a SQLite DATABASE_URL fails the startup with a
clear error, so the worker does not boot), or by the first request when the
server runs no lifespan; the pool is closed at shutdown. Importing this module
reads nothing and connects nowhere.
"""

from __future__ import annotations

import logging
from functools import lru_cache

import psycopg

from backends.raw.routing import Answer, failure, header_pairs, resolve
from finboard.rawsql import async_reads
from finboard.rawsql.async_pool import AsyncDatabase
from finboard.rawsql.replicas import REPLICA_POOL_TIMEOUT, ReplicaSet
from finboard.settings import load_settings

logger = logging.getLogger("finboard.raw")


@lru_cache(maxsize=1024)
def asgi_headers(status: int, length: int, allow: str | None) -> tuple[tuple[bytes, bytes], ...]:
    """``header_pairs`` as ASGI wants them: lower-case names, bytes."""
    return tuple(
        (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in header_pairs(status, length, allow)
    )


class RawAsgiApp:
    """The ASGI callable (HTTP only) on one async pool (and one per read replica)."""

    def __init__(self, database: AsyncDatabase, replicas: ReplicaSet | None = None, replica_pools=()):
        self.db = database
        self.replicas = replicas
        self.replica_pools: list[AsyncDatabase] = list(replica_pools)

    async def open(self) -> None:
        for database in (self.db, *self.replica_pools):
            await database.open()

    async def close(self) -> None:
        for database in (self.db, *self.replica_pools):
            await database.close()

    async def _read(self, method: str, scope: dict) -> bytes:
        """The request's plan on a replica fit to answer (a fresh plan on the primary if it fails)."""

        async def run(index: int | None) -> bytes:
            database = self.db if index is None else self.replica_pools[index]
            plan = resolve(method, scope["path"], scope["query_string"])
            async with database.connection() as conn:
                return await async_reads.run(conn, plan)

        if self.replicas is None:
            return await run(None)
        return await self.replicas.aread(run, (psycopg.OperationalError,))

    async def __call__(self, scope: dict, receive, send) -> None:
        method = scope["method"]
        try:
            answer = resolve(method, scope["path"], scope["query_string"])
            if not isinstance(answer, Answer):
                if not self.db.is_open:
                    await self.open()
                answer = Answer(200, await self._read(method, scope))
        except Exception as exc:  # noqa: BLE001 - never a stack trace, always the error shape
            answer = failure(exc)
        body = answer.body
        await send(
            {
                "type": "http.response.start",
                "status": answer.status,
                "headers": asgi_headers(answer.status, len(body), answer.allow),
            }
        )
        await send({"type": "http.response.body", "body": b"" if method == "HEAD" else body})


def _started(replicas: ReplicaSet | None) -> ReplicaSet | None:
    return replicas.start() if replicas is not None else None


def create_app() -> RawAsgiApp:
    """The app for the environment's DATABASE_URL (PostgreSQL only); raw signs nothing: no SECRET_KEY."""
    settings = load_settings(require_secret=False)
    pools = [AsyncDatabase(dsn, settings.db_pool_size, REPLICA_POOL_TIMEOUT) for dsn in settings.replica_psycopg_dsns()]
    return RawAsgiApp(AsyncDatabase.from_settings(settings), _started(ReplicaSet.from_settings(settings)), pools)


class _Application:
    """The ASGI entry point: runs the lifespan, builds the app at startup (or on the first request)."""

    def __init__(self):
        self._app: RawAsgiApp | None = None

    async def __call__(self, scope: dict, receive, send) -> None:
        kind = scope["type"]
        if kind == "http":
            if self._app is None:
                self._app = create_app()
            await self._app(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)
        # websocket: not served (the server closes the connection)

    async def _lifespan(self, receive, send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    self._app = create_app()
                    await self._app.open()
                except Exception as exc:  # noqa: BLE001 - reported to the server, which stops the worker
                    logger.error("asgi-raw cannot start: %s", exc)
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self._app is not None:
                    await self._app.close()
                await send({"type": "lifespan.shutdown.complete"})
                return


application = _Application()
