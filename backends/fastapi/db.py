"""The async engine and session factory, built in the app's lifespan (never at import)."""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from finboard.core.pg_sessions import connect_args as pg_connect_args
from finboard.rawsql.replicas import CONNECT_TIMEOUT
from finboard.settings import Settings


def create_engine(settings: Settings, replica_url: str | None = None) -> AsyncEngine:
    """psycopg 3 async for PostgreSQL (pool sized like the Flask app's), aiosqlite for SQLite.

    ``replica_url``: the same engine on a read replica, with short waits (a replica
    that is gone hands the read to the primary within a second or two).
    """
    url = settings.async_database_url(replica_url)
    if settings.is_sqlite:
        engine = create_async_engine(url, pool_pre_ping=True)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    connect_args = pg_connect_args(settings, utc=False)  # no startup options behind PgBouncer
    if replica_url is not None:
        connect_args["connect_timeout"] = CONNECT_TIMEOUT
    return create_async_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=0,
        pool_timeout=10 if replica_url is None else 1,
        pool_pre_ping=True,
        connect_args=connect_args,
    )


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """The same pragmas as the Flask app: foreign keys, WAL, a busy timeout."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
