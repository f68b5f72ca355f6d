"""How every psycopg connection FinBoard opens begins its session: on PostgreSQL itself, or through PgBouncer.

One place for the Flask app's and the worker's SQLAlchemy engines, FastAPI's async engine, Django's
``OPTIONS``, the SQL layer's pools (sync and async) and Procrastinate's connector, so that they
cannot disagree.

**Directly on PostgreSQL** the startup packet's ``options`` set the session once:
``TimeZone=UTC`` where the read path formats timestamps as they come back, and
``PG_SESSION_OPTIONS`` (custom plans for psycopg's prepared statements).

**Through PgBouncer in transaction pooling** (``DATABASE_PGBOUNCER=1``) a client's transactions
run on whichever server connection is free, so no server session state may be relied on from one
transaction to the next:

- ``options`` is refused at connect ("unsupported startup parameter: options"); it is not sent.
  (``ignore_startup_parameters = options`` in PgBouncer would silently drop the time zone instead.)
- Prepared statements live in one server session. psycopg prepares a statement after
  ``prepare_threshold`` (5) runs, and PgBouncer before 1.21 (Debian 12 ships 1.18, without
  ``max_prepared_statements``) does not carry them between server connections: a second
  client preparing on the same server gets "prepared statement "_pg3_0" already exists", a
  client moved to another server "… does not exist". So ``prepare_threshold=None``: every
  statement goes unnamed through the extended protocol and is planned with its values each
  time — what ``force_custom_plan`` gave, so nothing of ``PG_SESSION_OPTIONS`` is lost.
- ``TimeZone`` is one of the parameters PgBouncer tracks per client (with ``client_encoding``,
  ``DateStyle``, ``standard_conforming_strings``, ``application_name``): after a client's
  ``SET TimeZone`` it sets the same value on every server connection it pairs the client with.
  So a new connection runs :data:`SET_UTC` once (:func:`setup_statements`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from finboard.settings import PG_SESSION_OPTIONS

SET_UTC = "SET TimeZone TO 'UTC'"


def connect_kwargs(pgbouncer: bool, *, utc: bool) -> dict[str, Any]:
    """psycopg connection keywords; ``pgbouncer``: through PgBouncer (``Settings.database_pgbouncer``),
    ``utc``: the session's TimeZone must be UTC."""
    if pgbouncer:
        return {"prepare_threshold": None}
    return {"options": f"-c TimeZone=UTC {PG_SESSION_OPTIONS}" if utc else PG_SESSION_OPTIONS}


def setup_statements(pgbouncer: bool, *, utc: bool) -> tuple[str, ...]:
    """What a new connection runs once, autocommit, before its first use (behind PgBouncer: the time zone)."""
    return (SET_UTC,) if pgbouncer and utc else ()


def pool_configure(pgbouncer: bool, *, utc: bool) -> Callable[[Any], None] | None:
    """``configure`` for a psycopg ``ConnectionPool`` of autocommit connections (None: nothing to run)."""
    statements = setup_statements(pgbouncer, utc=utc)
    if not statements:
        return None

    def configure(conn) -> None:
        for statement in statements:
            conn.execute(statement)

    return configure


def async_pool_configure(pgbouncer: bool, *, utc: bool) -> Callable[[Any], Awaitable[None]] | None:
    """``configure`` for a psycopg ``AsyncConnectionPool`` of autocommit connections (None: nothing to run)."""
    statements = setup_statements(pgbouncer, utc=utc)
    if not statements:
        return None

    async def configure(conn) -> None:
        for statement in statements:
            await conn.execute(statement)

    return configure
