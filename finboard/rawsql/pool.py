"""One psycopg 3 connection pool per worker process, created on first use (the sync face).

The ``wsgi-raw`` backend's only database access (``finboard.rawsql.reads`` on it).
The adapters' ``DATA_LAYER=sql`` reads run on connections borrowed from their
own pools instead (the Flask app's SQLAlchemy pool, Django's), so each of
their workers has one pool per database.

Never at import: gunicorn imports the app before it forks (with ``--preload``)
or in each worker, and a pool's connections and maintenance threads must belong
to the process that uses them. Connections are autocommit (each read is one
statement: no BEGIN/ROLLBACK round trips; PostgreSQL's default READ COMMITTED
gives every statement its own snapshot either way, as in the other backends) and
run with ``TimeZone=UTC`` so timestamps come back in UTC (set at startup, or behind PgBouncer by
a ``SET`` PgBouncer replays: ``finboard.rawsql.connect``).

Every checkout is checked (``ConnectionPool.check_connection``, like SQLAlchemy's
``pool_pre_ping`` in the other backends), so a connection killed by a database
restart is replaced instead of failing a request. While the database is down a
request waits at most ``PG_POOL_TIMEOUT`` seconds (settings) for a connection and gets a 503;
reconnection attempts give up after ``RECONNECT_TIMEOUT`` seconds, so the next
request after the database is back starts a fresh attempt instead of waiting for
an exponential backoff to come round.

``PoolSettings`` is that configuration, shared with the async pool
(``finboard.rawsql.async_pool``), so both faces connect the same way.
"""

from __future__ import annotations

import atexit
import os
import threading

from psycopg_pool import ConnectionPool

from finboard.rawsql import connect
from finboard.settings import ConfigError, Settings

RECONNECT_TIMEOUT = 2.0


class PoolSettings:
    """How every pool of the SQL layer is configured, sync or async: one place for both faces."""

    def __init__(self, conninfo: str, pool_size: int, timeout: float, *, pgbouncer: bool = False):
        """``conninfo`` is the settings' ``psycopg_dsn``; ``pgbouncer``: it reaches PgBouncer (transaction pooling)."""
        self.conninfo = conninfo
        self.max_size = max(1, pool_size)
        self.timeout = timeout
        self.pgbouncer = pgbouncer

    @classmethod
    def from_settings(cls, settings: Settings, who: str = "the raw backend"):
        """PostgreSQL only: SQLite is refused with a clear message naming ``who`` needs it."""
        if settings.is_sqlite:
            raise ConfigError(f"{who} serves PostgreSQL only: set DATABASE_URL to a postgresql:// URL (it is 'sqlite')")
        return cls(
            settings.psycopg_dsn, settings.db_pool_size, settings.pg_pool_timeout, pgbouncer=settings.database_pgbouncer
        )

    def pool_kwargs(self, check, *, asynchronous: bool = False) -> dict:
        """The pool's arguments: autocommit UTC connections, checked on checkout, bounded waits."""
        configure = connect.async_pool_configure if asynchronous else connect.pool_configure
        return {
            "min_size": 1,
            "max_size": self.max_size,
            "kwargs": {"autocommit": True, **connect.connect_kwargs(self.pgbouncer, utc=True)},
            "configure": configure(self.pgbouncer, utc=True),
            "check": check,
            "timeout": self.timeout,
            "reconnect_timeout": RECONNECT_TIMEOUT,
            "name": f"finboard-reads-{os.getpid()}",
        }


class Database(PoolSettings):
    """What the app needs to reach PostgreSQL; the pool itself comes on first use."""

    def __init__(self, conninfo: str, pool_size: int, timeout: float, *, pgbouncer: bool = False):
        super().__init__(conninfo, pool_size, timeout, pgbouncer=pgbouncer)
        self._pool: ConnectionPool | None = None
        self._pid = 0
        self._lock = threading.Lock()

    def pool(self) -> ConnectionPool:
        pool = self._pool
        if pool is not None and self._pid == os.getpid():
            return pool
        with self._lock:
            if self._pool is None or self._pid != os.getpid():
                self._pool = ConnectionPool(
                    self.conninfo, **self.pool_kwargs(ConnectionPool.check_connection), open=True
                )
                self._pid = os.getpid()
                atexit.register(self._pool.close, 2)
            return self._pool

    def connection(self):
        """``with database.connection() as conn:`` — a checked, autocommit connection."""
        return self.pool().connection()
