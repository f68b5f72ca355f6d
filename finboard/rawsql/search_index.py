"""Which index newest-first search reads, said once when a server starts (issue 19).

Migration 0020 builds the RUM index only when the rum extension can be installed; without
it search still works, through GIN, but reads every match. An operator should not have to
guess which: gunicorn's ``when_ready`` hook (``gunicorn.conf.py``, ``backends/server_conf.py``)
logs ``finboard.contract.search_newest.search_index_notice`` for the configured database.
"""

from __future__ import annotations

import logging

import psycopg

from finboard.contract.search_newest import SEARCH_INDEX_SQL, search_index_notice

log = logging.getLogger("finboard.search")


def search_index_kind(dsn: str) -> str | None:
    """``rum``, ``gin``, or None when migration 0020 has not run; raises psycopg.Error when unreachable."""
    with psycopg.connect(dsn, connect_timeout=5, autocommit=True) as conn:
        return conn.execute(SEARCH_INDEX_SQL).fetchone()[0]


def log_search_index(settings, logger: logging.Logger | None = None) -> str | None:
    """Log which index newest-first search reads (PostgreSQL only); returns the kind."""
    logger = logger or log
    if settings.is_sqlite:
        return None  # SQLite searches with FTS5: nothing to choose
    try:
        kind = search_index_kind(settings.psycopg_dsn)
    except psycopg.Error as exc:
        logger.warning("search: could not tell which search index is built (%s)", str(exc).strip())
        return None
    logger.info(search_index_notice(kind))
    return kind
