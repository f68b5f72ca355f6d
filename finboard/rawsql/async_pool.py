"""One psycopg 3 ``AsyncConnectionPool`` per worker, opened in its event loop (the async face).

Configured exactly like the sync pool (``finboard.rawsql.pool.PoolSettings``:
autocommit, ``TimeZone=UTC`` (``finboard.rawsql.connect``, PgBouncer or not), every checkout
checked, ``PG_POOL_TIMEOUT`` to wait for a connection, reconnection attempts
given up after ``RECONNECT_TIMEOUT``), for the async servers: ``asgi-raw`` and
FastAPI with ``DATA_LAYER=sql``.

Never at import, never before the event loop runs: an asyncio pool's
connections and maintenance tasks belong to the loop that opened them, and a
uvicorn worker's loop only exists once the worker has forked and started. So the
app opens it in its lifespan (``await database.open()``) or on its first request,
and closes it at shutdown.
"""

from __future__ import annotations

import asyncio

from psycopg_pool import AsyncConnectionPool

from finboard.rawsql.pool import PoolSettings


class AsyncDatabase(PoolSettings):
    """The async pool's settings; ``open()`` creates the pool in the running loop."""

    def __init__(self, conninfo: str, pool_size: int, timeout: float, *, pgbouncer: bool = False):
        super().__init__(conninfo, pool_size, timeout, pgbouncer=pgbouncer)
        self._pool: AsyncConnectionPool | None = None
        self._opening: asyncio.Lock | None = None

    @property
    def is_open(self) -> bool:
        return self._pool is not None

    async def open(self) -> AsyncConnectionPool:
        """The pool, created and opened on the first call (without waiting for a connection)."""
        if self._pool is not None:
            return self._pool
        if self._opening is None:
            self._opening = asyncio.Lock()
        async with self._opening:
            if self._pool is None:
                check = AsyncConnectionPool.check_connection
                pool = AsyncConnectionPool(self.conninfo, **self.pool_kwargs(check, asynchronous=True), open=False)
                await pool.open(wait=False)
                self._pool = pool
        return self._pool

    def connection(self):
        """``async with database.connection() as conn:`` — a checked, autocommit connection (after ``open()``)."""
        if self._pool is None:
            raise RuntimeError("the async pool is not open: await AsyncDatabase.open() in the app's lifespan")
        return self._pool.connection()

    async def close(self, timeout: float = 2.0) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close(timeout)
