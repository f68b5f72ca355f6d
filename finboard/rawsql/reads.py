"""The sync face of the SQL layer: each read's plan run on a psycopg ``Connection``.

Shared by the ``wsgi-raw`` ceiling (a bare WSGI callable around these
functions) and every adapter's reads with ``DATA_LAYER=sql`` (``flask-sql``,
``django-sql``, ...), so the benchmark's "fraction of raw" for a ``-sql``
backend is exactly what its framework costs per request. Each function
takes a psycopg connection (autocommit, ``TimeZone=UTC``; ``finboard.rawsql.pool``)
and returns the contract's JSON bytes, or raises ``ApiError`` for a missing
post. What runs and what it becomes is ``finboard.rawsql.plans`` (the async
face, ``async_reads``, runs the same plans); this module only executes. The
conformance suite compares the bytes with the pydantic-serialised answers of
the ORM paths.
"""

from __future__ import annotations

from psycopg import Connection

from finboard.contract.pagination import PageQuery
from finboard.contract.posts import PostListQuery
from finboard.rawsql import page_rows, plans
from finboard.rawsql.plans import DEFAULT_LIST_QUERY, Plan, list_statements

# DEFAULT_LIST_QUERY and list_statements stay importable here (the Flask API and tools use them).
__all__ = [
    "DEFAULT_LIST_QUERY",
    "list_statements",
    "run",
    "posts",
    "post",
    "post_alone",
    "comments",
    "categories",
    "category_stats",
    "health",
    "page_posts",
    "page_post",
    "page_comments",
]


def run(conn: Connection, plan: Plan):
    """Execute ``plan``'s statements in order on one cursor; its return value (the bytes)."""
    cursor = conn.cursor()
    try:
        statement, params, all_rows = next(plan)
        while True:
            cursor.execute(statement, params)
            result = cursor.fetchall() if all_rows else cursor.fetchone()
            statement, params, all_rows = plan.send(result)
    except StopIteration as done:
        return done.value


def posts(conn: Connection, query: PostListQuery) -> bytes:
    return run(conn, plans.posts(query))


def post(conn: Connection, post_id: int) -> bytes:
    return run(conn, plans.post(post_id))


def post_alone(conn: Connection, post_id: int) -> bytes | None:
    return run(conn, plans.post_alone(post_id))


def comments(conn: Connection, post_id: int, query: PageQuery) -> bytes:
    return run(conn, plans.comments(post_id, query))


def categories(conn: Connection) -> bytes:
    return run(conn, plans.categories())


def category_stats(conn: Connection) -> bytes:
    return run(conn, plans.category_stats())


def health(conn: Connection) -> bytes:
    return run(conn, plans.health())


# The forum pages' rows (finboard.rawsql.page_rows): the same statements, their own documents.


def page_posts(conn: Connection, query: PostListQuery) -> bytes:
    return run(conn, page_rows.posts_plan(query))


def page_post(conn: Connection, post_id: int) -> bytes:
    """The post page's post; ``b""`` when it is missing or hidden."""
    return run(conn, page_rows.post_plan(post_id))


def page_comments(conn: Connection, post_id: int, query: PageQuery) -> bytes:
    return run(conn, page_rows.comments_plan(post_id, query))
