"""``python -m backends.pool_settings NAME``: a backend's database pool settings, read from its own configuration.

It exists so ``flask bench tables`` reports each adapter's pool (size,
overflow, timeout, connection checks, persistence) from the objects the
adapter really builds — FastAPI's engine, Django's ``DATABASES``, raw's pool
holder — not restated by hand. It runs in a subprocess because ``finboard``
never imports ``backends`` (import-linter); nothing here opens a connection.
"""

from __future__ import annotations

import json
import sys

from finboard.settings import load_settings


def fastapi() -> dict:
    from backends.fastapi.db import create_engine

    pool = create_engine(load_settings()).sync_engine.pool
    return {
        "library": f"SQLAlchemy {type(pool).__name__} (async engine, psycopg 3)",
        "size": pool.size(),
        "overflow": pool._max_overflow,  # noqa: SLF001 - SQLAlchemy keeps these on the pool only
        "timeout_s": pool._timeout,  # noqa: SLF001
        "checked_on_checkout": bool(pool._pre_ping),  # noqa: SLF001
        "persistent": "pooled: connections stay open between requests",
    }


def django() -> dict:
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backends.django.settings")
    from django.conf import settings

    database = settings.DATABASES["default"]
    pool = (database.get("OPTIONS") or {}).get("pool") or {}
    age = database.get("CONN_MAX_AGE")
    return {
        "library": "psycopg_pool.ConnectionPool (Django's pool option)" if pool else f"{database['ENGINE']}",
        "size": pool.get("max_size"),
        "min_size": pool.get("min_size"),
        "overflow": 0,  # psycopg's pool never grows past max_size
        "timeout_s": pool.get("timeout"),
        "checked_on_checkout": bool(database.get("CONN_HEALTH_CHECKS")),
        "persistent": f"pooled (CONN_MAX_AGE={age})" if pool else f"CONN_MAX_AGE={age}",
    }


def raw() -> dict:
    from finboard.rawsql.pool import Database

    database = Database.from_settings(load_settings())
    return {
        "library": "psycopg_pool.ConnectionPool (finboard.rawsql.pool)",
        "size": database.max_size,
        "overflow": 0,
        "timeout_s": database.timeout,
        "checked_on_checkout": True,  # ConnectionPool.check_connection on every checkout
        "persistent": "pooled: connections stay open between requests",
    }


PROBES = {"fastapi": fastapi, "django": django, "raw": raw}

if __name__ == "__main__":
    name = sys.argv[1] if len(sys.argv) > 1 else ""
    if name not in PROBES:
        sys.exit(f"usage: python -m backends.pool_settings {{{','.join(PROBES)}}}")
    print(json.dumps(PROBES[name]()))
