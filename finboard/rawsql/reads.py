"""The API's reads on PostgreSQL, the leanest way: hand-written SQL, psycopg, orjson.

Shared by the ``wsgi-raw`` ceiling (a bare WSGI callable around these
functions) and every adapter's reads with ``DATA_LAYER=sql`` (``flask-sql``,
``django-sql``, ...), so the benchmark's "fraction of raw" for a ``-sql``
backend is exactly what its framework costs per request. Each function
takes a psycopg connection (autocommit, ``TimeZone=UTC``; ``finboard.rawsql.pool``)
and returns the contract's JSON bytes, or raises ``ApiError`` for a missing
post. SQL: ``finboard.rawsql.statements``; bytes: ``finboard.rawsql.documents``.
The conformance suite compares the bytes with the
pydantic-serialised answers of FastAPI and Django.
"""

from __future__ import annotations

from psycopg import Connection

from finboard.contract.errors import ApiError
from finboard.contract.limits import DETAIL_COMMENTS
from finboard.contract.pagination import PageQuery
from finboard.contract.post_filters import PostFilters
from finboard.contract.posts import PostListQuery
from finboard.rawsql import documents
from finboard.rawsql import statements as sql


def list_statements(query: PostListQuery) -> tuple[str, list, str, list, str]:
    """The page and total statements for the query's filters, resolved as every backend resolves them."""
    filters = PostFilters.from_query(query)
    return sql.post_list(
        search=filters.search,
        category=filters.category,
        author=filters.author,
        cashtag=filters.cashtag,
        since=filters.since,
        until=filters.until,
        sort=filters.sort,
        page=query.page,
        per_page=query.per_page,
        cursor=query.decoded_cursor,
    )


DEFAULT_LIST_QUERY = PostListQuery()
_DEFAULT_LIST = list_statements(DEFAULT_LIST_QUERY)


def posts(conn: Connection, query: PostListQuery) -> bytes:
    """GET /posts: a page (+1 row) and its total — 2 statements."""
    statements = _DEFAULT_LIST if query is DEFAULT_LIST_QUERY else list_statements(query)
    page_sql, page_params, total_sql, total_params, total_kind = statements
    cursor = conn.cursor()
    rows = cursor.execute(page_sql, page_params).fetchall()
    total_row = cursor.execute(total_sql, total_params).fetchone()
    return documents.post_page(rows, query, total_row, total_kind)


def post(conn: Connection, post_id: int) -> bytes:
    """GET /posts/{id}: the post and its newest comments — 2 statements."""
    cursor = conn.cursor()
    row = cursor.execute(sql.POST_DETAIL, (post_id,)).fetchone()
    if row is None:
        raise ApiError(404, "post_not_found")
    comments = cursor.execute(sql.NEWEST_COMMENTS, (post_id, DETAIL_COMMENTS)).fetchall()
    return documents.post_detail(row, comments)


def post_alone(conn: Connection, post_id: int) -> bytes | None:
    """The post without comments (the forum's post page pages its own); None if missing."""
    row = conn.execute(sql.POST_DETAIL, (post_id,)).fetchone()
    return None if row is None else documents.dumps(documents.post(row))


def comments(conn: Connection, post_id: int, query: PageQuery) -> bytes:
    """GET /posts/{id}/comments: oldest first, with the post's comment_count — 2 statements."""
    cursor = conn.cursor()
    offset = (query.page - 1) * query.per_page
    rows = cursor.execute(sql.COMMENT_PAGE, (post_id, query.per_page, offset)).fetchall()
    count = cursor.execute(sql.COMMENT_COUNT, (post_id,)).fetchone()
    if count is None:
        raise ApiError(404, "post_not_found")
    return documents.comment_page(rows, query.page, query.per_page, count[0])


def categories(conn: Connection) -> bytes:
    return documents.categories(conn.execute(sql.CATEGORIES).fetchall())


def category_stats(conn: Connection) -> bytes:
    """GET /stats/categories: counter rows plus each category's newest post — 1 statement."""
    return documents.category_stats(conn.execute(sql.CATEGORY_STATS).fetchall())
