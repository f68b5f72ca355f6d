"""Newest-first search on PostgreSQL through ``finboard_search_newest`` (migration 0020), for every layer.

Why one database function: with the RUM index (``ix_posts_search_rum``) the newest
matches come out of the index in time order, and only they are read from the table;
without it the function runs the GIN query every layer ran before. The layers' SQL is
the same either way: the ids of the newest matches after the cursor (with any posts
tied in time with the last), joined to their author and category, sorted by
``(created_at, id)`` and cut to the page — so the rows and their order are exactly the
plain query's, whichever index answered.

Used when the listing is a search alone, newest first, on PostgreSQL (what the search
box asks); any other filter or sort keeps the shared statements, whose plans the
planner picks (the GIN index, or a time index with the search as a filter).
"""

from __future__ import annotations

from finboard.contract.search_synonyms import pg_search_tsquery

SEARCH_NEWEST_FUNCTION = "finboard_search_newest"

# Which index migration 0020 built: one row, "rum" or "gin" (NULL when the migration has not run).
SEARCH_INDEX_SQL = (
    "SELECT CASE WHEN to_regprocedure('finboard_search_newest(tsquery, timestamptz, bigint, bigint)') IS NULL "
    "THEN NULL WHEN to_regclass('ix_posts_search_rum') IS NULL THEN 'gin' ELSE 'rum' END"
)

def uses_search_newest(given: set[str] | frozenset[str], sort: str, dialect: str) -> bool:
    """Whether a listing (its given filters, sort and database) runs through ``finboard_search_newest``."""
    return dialect == "postgresql" and sort == "new" and set(given) == {"search"}


def pg_search_newest_ids(search: str, after_at: str | None, after_id: str | None, wanted: str) -> str:
    """``IN (…)``'s subquery: the ids the function returns, around driver placeholders.

    ``search`` is the user's text (rewritten with the synonyms, once), ``after_at`` /
    ``after_id`` the cursor's (None: from the newest post), ``wanted`` how many rows the
    page needs counting from the newest match after the cursor (offset + page + 1).
    """
    at = f"CAST({after_at} AS timestamptz)" if after_at else "CAST(NULL AS timestamptz)"
    ident = f"CAST({after_id} AS bigint)" if after_id else "CAST(NULL AS bigint)"
    call = f"{SEARCH_NEWEST_FUNCTION}({pg_search_tsquery(search)}, {at}, {ident}, CAST({wanted} AS bigint))"
    return "SELECT * FROM " + call  # nosec B608 - every argument is a driver placeholder, never a value


def search_index_notice(kind: str | None) -> str:
    """The startup log line that says which index newest-first search reads."""
    if kind == "rum":
        return "search: newest-first search reads the RUM index ix_posts_search_rum in time order"
    if kind == "gin":
        return (
            "search: no RUM index (the rum extension was missing when migration 0020 ran): newest-first "
            "search reads every match through the GIN index"
        )
    return "search: migration 0020 has not run: searches fail until `flask db upgrade`"
