"""``python -m backends.pool_settings PROBE``: every database pool one worker of an adapter holds.

It exists so ``flask bench tables`` reports each backend's pools (size,
overflow, timeout, connection checks, persistence) from the objects the
adapter really builds — FastAPI's engine and, with ``DATA_LAYER=sql``, its
psycopg async pool; Django's ``DATABASES``; the ceilings' pool holders — not
restated by hand. It runs in a subprocess because ``finboard`` never imports
``backends`` (import-linter), and with the backend's own registry environment
(``DATA_LAYER``, ``DJANGO_SETTINGS_MODULE``), which the caller passes
(``finboard.bench.seedtables``); nothing here opens a connection. It prints a
JSON list: one entry per pool, in the order a request meets them.
"""

from __future__ import annotations

import json
import sys

from finboard.settings import load_settings

PERSISTENT = "pooled: connections stay open between requests"


def _psycopg_pool(library: str, database, role: str) -> dict:
    """The SQL layer's psycopg pool (``finboard.rawsql.pool.PoolSettings``) as one row."""
    return {
        "library": library,
        "role": role,
        "size": database.max_size,
        "overflow": 0,  # psycopg's pool never grows past max_size
        "timeout_s": database.timeout,
        "checked_on_checkout": True,  # check_connection on every checkout
        "persistent": PERSISTENT,
    }


def fastapi() -> list[dict]:
    from backends.fastapi.db import create_engine
    from backends.fastapi.main import sql_database

    settings = load_settings()
    pool = create_engine(settings).sync_engine.pool
    pools = [
        {
            "library": f"SQLAlchemy {type(pool).__name__} (async engine, psycopg 3)",
            "role": "writes" if settings.data_layer == "sql" else "reads and writes",
            "size": pool.size(),
            "overflow": pool._max_overflow,  # noqa: SLF001 - SQLAlchemy keeps these on the pool only
            "timeout_s": pool._timeout,  # noqa: SLF001
            "checked_on_checkout": bool(pool._pre_ping),  # noqa: SLF001
            "persistent": PERSISTENT,
        }
    ]
    reads = sql_database(settings)  # None on the ORM layer; built, never opened
    if reads is not None:
        pools.append(_psycopg_pool("psycopg_pool.AsyncConnectionPool (finboard.rawsql.async_pool)", reads, "reads"))
    return pools


def django() -> list[dict]:
    """Django's pool; with ``DATA_LAYER=sql`` the SQL layer reads on the same connection (no second pool)."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    pool = (database.get("OPTIONS") or {}).get("pool") or {}
    age = database.get("CONN_MAX_AGE")
    sql = load_settings().data_layer == "sql"
    return [
        {
            "library": "psycopg_pool.ConnectionPool (Django's pool option)" if pool else f"{database['ENGINE']}",
            "role": "reads (the SQL layer on Django's connection) and writes" if sql else "reads and writes",
            "size": pool.get("max_size"),
            "min_size": pool.get("min_size"),
            "overflow": 0,  # psycopg's pool never grows past max_size
            "timeout_s": pool.get("timeout"),
            "checked_on_checkout": bool(database.get("CONN_HEALTH_CHECKS")),
            "persistent": f"pooled (CONN_MAX_AGE={age})" if pool else f"CONN_MAX_AGE={age}",
        }
    ]


def raw() -> list[dict]:
    from finboard.rawsql.pool import Database

    return [_psycopg_pool("psycopg_pool.ConnectionPool (finboard.rawsql.pool)", Database.from_settings(load_settings()),
                          "reads")]  # fmt: skip


def raw_async() -> list[dict]:
    from finboard.rawsql.async_pool import AsyncDatabase

    database = AsyncDatabase.from_settings(load_settings())
    return [_psycopg_pool("psycopg_pool.AsyncConnectionPool (finboard.rawsql.async_pool)", database, "reads")]


PROBES = {"fastapi": fastapi, "django": django, "raw": raw, "raw-async": raw_async}

if __name__ == "__main__":
    name = sys.argv[1] if len(sys.argv) > 1 else ""
    if name not in PROBES:
        sys.exit(f"usage: python -m backends.pool_settings {{{','.join(PROBES)}}}")
    print(json.dumps(PROBES[name]()))
