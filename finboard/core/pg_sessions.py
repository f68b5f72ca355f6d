"""A SQLAlchemy engine's PostgreSQL sessions begun the way ``finboard.rawsql.connect`` says.

The Flask app's engine and the worker's pass :func:`connect_args` to ``create_engine`` and call
:func:`prepare_engine` on the engine: behind PgBouncer (``DATABASE_PGBOUNCER``) each new
connection then runs its setup statements (the time zone PgBouncer replays) before SQLAlchemy
lends it out; directly on PostgreSQL there is nothing to run (the startup ``options`` did it).
"""

from __future__ import annotations

from sqlalchemy import Engine, event

from finboard.rawsql import connect
from finboard.settings import Settings


def connect_args(settings: Settings, *, utc: bool) -> dict:
    """``create_engine(connect_args=…)`` for ``settings``' PostgreSQL database."""
    return connect.connect_kwargs(settings.database_pgbouncer, utc=utc)


def prepare_engine(engine: Engine, settings: Settings, *, utc: bool) -> None:
    """Run the setup statements on each new DBAPI connection of ``engine``, outside any transaction."""
    statements = connect.setup_statements(settings.database_pgbouncer, utc=utc)
    if not statements:
        return

    @event.listens_for(engine, "connect")
    def _setup(dbapi_connection, _record) -> None:
        autocommit = dbapi_connection.autocommit
        dbapi_connection.autocommit = True
        try:
            with dbapi_connection.cursor() as cursor:
                for statement in statements:
                    cursor.execute(statement)
        finally:
            dbapi_connection.autocommit = autocommit
