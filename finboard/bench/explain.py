"""EXPLAIN (ANALYZE, BUFFERS) of the hot queries, for the report's appendix.

It exists so a slow scenario can be read off its plan (an index scan that
stops after 20 rows, or a sort of a whole table) without rerunning anything.
The statements are the raw backend's hand-written SQL, built with the
parameters the scenarios send, and run at the run's largest size, once to
warm the caches and once under EXPLAIN (ANALYZE, BUFFERS).

Each is explained twice: with its values bound (the *custom* plan, made for
those values — what a statement gets the first times it runs) and as a
prepared statement under ``plan_cache_mode = force_generic_plan`` (the
*generic* plan, made without the values). psycopg prepares a statement on a
connection after five executions, and PostgreSQL may then keep the generic
plan when it looks no costlier; for a full-text search the generic plan can't
know how common the term is, so the two can differ by orders of magnitude.

This is the only module of the benchmark that reads ``finboard.rawsql.statements``; it
depends on exactly these names:

- ``post_list(*, search, category, author, cashtag, since, until, sort, page, per_page, cursor=None)``
  returning a tuple whose first four items are (page SQL, page parameters, total SQL, total
  parameters); ``cursor`` is a ``finboard.contract.pagination.Cursor`` (left out when the function
  has no such parameter);
- ``POST_DETAIL`` (parameters: post id) and ``NEWEST_COMMENTS`` (post id, how many);
- ``CATEGORY_STATS`` (no parameters).

Placeholders are psycopg's ``%s``. A statement that fails (a name that moved, SQL that no
longer runs) becomes an entry with its error, never a failed run.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass

import psycopg

STATEMENT_TIMEOUT_MS = 120_000
PREPARED_NAME = "finboard_bench_explain"
PER_PAGE = 20
DETAIL_COMMENTS = 20


@dataclass(frozen=True)
class Statement:
    query: str  # the hot query, e.g. "list by category"
    part: str  # which of its statements: page, total, post, comments, stats
    sql: str
    params: tuple


def _raw_sql():
    """``finboard.rawsql.statements``: the hand-written SQL that raw and the Flask API's PostgreSQL reads run."""
    from finboard.rawsql import statements as sql

    return sql


def list_statements(query: str, sql_module=None, cursor=None, **filters) -> list[Statement]:
    """The page and total statements of one listing, through ``sql.post_list``."""
    sql = sql_module or _raw_sql()
    arguments = dict(search=None, category=None, author=None, cashtag=None, since=None, until=None)
    arguments.update(filters)
    arguments.update(sort="new", page=1, per_page=PER_PAGE)
    if cursor is not None:
        if "cursor" not in inspect.signature(sql.post_list).parameters:
            raise TypeError("finboard.rawsql.statements.post_list has no cursor argument")
        arguments["cursor"] = cursor
    built = sql.post_list(**arguments)
    page_sql, page_params, total_sql, total_params = built[:4]
    statements = [Statement(query, "page", page_sql, tuple(page_params))]
    if total_sql:
        statements.append(Statement(query, "total", total_sql, tuple(total_params or ())))
    return statements


def hot_queries(facts, sql_module=None) -> list[tuple[str, Callable[[], list[Statement]]]]:
    """(name, builder) of every hot query, with the scenarios' parameters (builders may raise)."""
    from finboard.contract.cashtags import normalize_ticker
    from finboard.contract.pagination import Cursor

    sql = sql_module or _raw_sql()
    queries: list[tuple[str, Callable[[], list[Statement]]]] = [
        ("list page 1", lambda: list_statements("list page 1", sql)),
    ]
    if facts.categories:
        category = facts.categories[0]
        queries.append(
            (f"list by category ({category})", lambda: list_statements("list by category", sql, category=category))
        )
    if facts.tickers:
        ticker = normalize_ticker(facts.tickers[0][0])
        queries.append((f"list by cashtag ({ticker})", lambda: list_statements("list by cashtag", sql, cashtag=ticker)))
    deep = facts.deep
    if deep is not None and deep.cursor:
        cursor = Cursor.decode(deep.cursor)
        queries.append((f"deep page {deep.page:,} by cursor", lambda: list_statements("deep", sql, cursor=cursor)))
    if facts.post_ids:
        post_id = facts.post_ids[len(facts.post_ids) // 2]
        queries.append(
            (
                f"detail (post {post_id}) + its newest comments",
                lambda: [
                    Statement("detail", "post", sql.POST_DETAIL, (post_id,)),
                    Statement("detail", "comments", sql.NEWEST_COMMENTS, (post_id, DETAIL_COMMENTS)),
                ],
            )
        )
    for band in ("common", "mid", "rare"):
        terms = facts.search_terms.get(band) or []
        if terms:
            term = terms[0].query
            queries.append((f"search {band} ({term!r})", lambda term=term: list_statements("search", sql, search=term)))
    queries.append(("stats", lambda: [Statement("stats", "stats", sql.CATEGORY_STATS, ())]))
    return queries


_EXECUTION = re.compile(r"Execution Time: ([0-9.]+) ms")


def explain(conn: psycopg.Connection, statement: Statement) -> dict:
    """Run the statement once (warm-up), then EXPLAIN (ANALYZE, BUFFERS) it; the plan as text."""
    conn.execute(statement.sql, statement.params).fetchall()
    rows = conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement.sql, statement.params).fetchall()
    plan = "\n".join(r[0] for r in rows)
    found = _EXECUTION.search(plan)
    return {"plan": plan, "execution_ms": float(found.group(1)) if found else None}


def numbered(sql: str) -> str:
    """psycopg's %s placeholders as PostgreSQL's $1, $2, … (for PREPARE)."""
    counter = iter(range(1, 10_000))
    return re.sub(r"%s", lambda _: f"${next(counter)}", sql)


def explain_generic(conn: psycopg.Connection, statement: Statement) -> dict:
    """EXPLAIN (ANALYZE, BUFFERS) EXECUTE of the statement prepared and forced to its generic plan."""
    conn.execute(f"PREPARE {PREPARED_NAME} AS {numbered(statement.sql)}")
    try:
        conn.execute("SET plan_cache_mode = force_generic_plan")
        arguments = f"({', '.join(['%s'] * len(statement.params))})" if statement.params else ""
        cursor = psycopg.ClientCursor(conn)  # EXECUTE's arguments as literals
        cursor.execute(f"EXECUTE {PREPARED_NAME}{arguments}", statement.params)
        cursor.fetchall()
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) EXECUTE {PREPARED_NAME}{arguments}", statement.params)
        plan = "\n".join(r[0] for r in cursor.fetchall())
    finally:
        conn.execute("RESET plan_cache_mode")
        conn.execute(f"DEALLOCATE {PREPARED_NAME}")
    found = _EXECUTION.search(plan)
    return {"generic_plan": plan, "generic_execution_ms": float(found.group(1)) if found else None}


def explain_all(dsn: str, facts, sql_module=None) -> list[dict]:
    """Every hot query's statements with their plans (or the error that stopped one)."""
    entries = []
    try:
        queries = hot_queries(facts, sql_module)
    except Exception as exc:  # noqa: BLE001 - the appendix reports what it could not do
        return [{"query": "(all)", "part": None, "sql": None, "params": [], "error": f"{type(exc).__name__}: {exc}"}]
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"SET statement_timeout = {STATEMENT_TIMEOUT_MS}")
        for name, build in queries:
            try:
                statements = build()
            except Exception as exc:  # noqa: BLE001
                entries.append(
                    {"query": name, "part": None, "sql": None, "params": [], "error": f"{type(exc).__name__}: {exc}"}
                )
                continue
            for statement in statements:
                entry = {
                    "query": name,
                    "part": statement.part,
                    "sql": statement.sql,
                    "params": [str(p) for p in statement.params],
                    "error": None,
                }
                try:
                    entry.update(explain(conn, statement))
                except psycopg.Error as exc:
                    entry["error"] = f"{type(exc).__name__}: {str(exc).strip()}"
                if entry["error"] is None and statement.params:  # without parameters both plans are one
                    try:
                        entry.update(explain_generic(conn, statement))
                    except psycopg.Error as exc:
                        entry["generic_error"] = f"{type(exc).__name__}: {str(exc).strip()}"
                entries.append(entry)
    return entries
