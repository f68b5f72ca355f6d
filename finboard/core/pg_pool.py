"""One psycopg 3 connection pool per worker process, created on first use.

Used by the read path on PostgreSQL (``finboard.core.pg_reads``): the ``raw``
backend's only database access, and the Flask app's for its reads.

Never at import: gunicorn imports the app before it forks (with ``--preload``)
or in each worker, and a pool's connections and maintenance threads must belong
to the process that uses them. Connections are autocommit (each read is one
statement: no BEGIN/ROLLBACK round trips; PostgreSQL's default READ COMMITTED
gives every statement its own snapshot either way, as in the other backends) and
run with ``TimeZone=UTC`` so timestamps come back in UTC.

Every checkout is checked (``ConnectionPool.check_connection``, like SQLAlchemy's
``pool_pre_ping`` in the other backends), so a connection killed by a database
restart is replaced instead of failing a request. While the database is down a
request waits at most ``POOL_TIMEOUT`` seconds for a connection and gets a 503;
reconnection attempts give up after ``RECONNECT_TIMEOUT`` seconds, so the next
request after the database is back starts a fresh attempt instead of waiting for
an exponential backoff to come round.
"""

from __future__ import annotations

import atexit
import os
import threading

from psycopg_pool import ConnectionPool

from finboard.core.settings import PG_SESSION_OPTIONS, ConfigError, Settings, load_settings

POOL_TIMEOUT = float(os.environ.get("PG_POOL_TIMEOUT", os.environ.get("RAW_POOL_TIMEOUT", "3")))
RECONNECT_TIMEOUT = 2.0
PSYCOPG_SCHEME = "postgresql+psycopg://"


def raw_settings() -> Settings:
    """The shared settings; raw uses no secret, so it does not require one."""
    env = dict(os.environ)
    env.setdefault("SECRET_KEY", "unused-by-the-raw-backend")
    return load_settings(env)


def conninfo(database_url: str) -> str:
    """A (normalised) DATABASE_URL as a libpq URI; SQLite is refused with a clear message."""
    if not database_url.startswith(PSYCOPG_SCHEME):
        raise ConfigError(
            "the raw backend serves PostgreSQL only: set DATABASE_URL to a postgresql:// URL "
            f"(it is {database_url.split(':', 1)[0]!r})"
        )
    return "postgresql://" + database_url[len(PSYCOPG_SCHEME) :]


class Database:
    """What the app needs to reach PostgreSQL; the pool itself comes on first use."""

    def __init__(self, database_url: str, pool_size: int):
        """``database_url`` as normalised by the settings (``postgresql+psycopg://...``)."""
        self.conninfo = conninfo(database_url)
        self.max_size = max(1, pool_size)
        self._pool: ConnectionPool | None = None
        self._pid = 0
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        return cls(settings.database_url, settings.db_pool_size)

    def pool(self) -> ConnectionPool:
        pool = self._pool
        if pool is not None and self._pid == os.getpid():
            return pool
        with self._lock:
            if self._pool is None or self._pid != os.getpid():
                self._pool = ConnectionPool(
                    self.conninfo,
                    min_size=1,
                    max_size=self.max_size,
                    kwargs={"autocommit": True, "options": f"-c TimeZone=UTC {PG_SESSION_OPTIONS}"},
                    check=ConnectionPool.check_connection,
                    timeout=POOL_TIMEOUT,
                    reconnect_timeout=RECONNECT_TIMEOUT,
                    name=f"finboard-reads-{os.getpid()}",
                    open=True,
                )
                self._pid = os.getpid()
                atexit.register(self._pool.close, 2)
            return self._pool

    def connection(self):
        """``with database.connection() as conn:`` — a checked, autocommit connection."""
        return self.pool().connection()
