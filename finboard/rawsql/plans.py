"""Each read as a plan: its statements, their parameters, their order, and the bytes from their rows.

Written once for both faces of the SQL layer (``reads``: a psycopg
``Connection``; ``async_reads``: an ``AsyncConnection``), so the faces only
execute. A plan is a generator (the "sans-I/O" pattern): it yields a
``Step`` — ``(sql, params, rows)``, ``rows`` true for every row, false for the
first one or None — receives the result, decides what runs next (a missing
post is an ``ApiError(404)`` before its comments are read), and returns the
contract's JSON bytes (``documents``). Its cost is one generator resume per
statement, nothing next to the round trip.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import Any

from finboard.contract.errors import ApiError
from finboard.contract.limits import DETAIL_COMMENTS
from finboard.contract.pagination import PageQuery
from finboard.contract.post_filters import PostFilters, missing_target, named_targets
from finboard.contract.posts import PostListQuery
from finboard.rawsql import documents
from finboard.rawsql import statements as sql

Step = tuple[str, Sequence | None, bool]
Plan = Generator[Step, Any, bytes]
ALL_ROWS, FIRST_ROW = True, False


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
        top_since=filters.top_since,
    )


DEFAULT_LIST_QUERY = PostListQuery()
_DEFAULT_LIST = list_statements(DEFAULT_LIST_QUERY)


def post_rows(query: PostListQuery) -> Generator[Step, Any, tuple[list, Any, str]]:
    """A listing's rows (+1), its total row and the total's kind: the API's documents and the
    pages' rows (``finboard.rawsql.page_rows``) are both made of these."""
    statements = _DEFAULT_LIST if query is DEFAULT_LIST_QUERY else list_statements(query)
    page_sql, page_params, total_sql, total_params, total_kind = statements
    rows = yield page_sql, page_params, ALL_ROWS
    if not rows:  # an empty page: does the category or member it is filtered by exist at all?
        for kind, value in named_targets(PostFilters.from_query(query)):
            if (yield sql.NAMED_TARGET_EXISTS[kind], (value,), FIRST_ROW) is None:
                raise missing_target(kind)
    total_row = yield total_sql, total_params, FIRST_ROW
    return rows, total_row, total_kind


def posts(query: PostListQuery) -> Plan:
    """GET /posts: a page (+1 row) and its total — 2 statements (+1 per named filter on an empty page)."""
    rows, total_row, total_kind = yield from post_rows(query)
    return documents.post_page(rows, query, total_row, total_kind)


def post(post_id: int) -> Plan:
    """GET /posts/{id}: the post and its newest comments — 2 statements (1 when it is missing)."""
    row = yield sql.POST_DETAIL, (post_id,), FIRST_ROW
    if row is None:
        raise ApiError(404, "post_not_found")
    comments = yield sql.NEWEST_COMMENTS, (post_id, DETAIL_COMMENTS), ALL_ROWS
    return documents.post_detail(row, comments)


def post_alone(post_id: int) -> Generator[Step, Any, bytes | None]:
    """The post without comments (the forum's post page pages its own); None if missing."""
    row = yield sql.POST_DETAIL, (post_id,), FIRST_ROW
    return None if row is None else documents.dumps(documents.post(row))


def comments(post_id: int, query: PageQuery) -> Plan:
    """GET /posts/{id}/comments: oldest first, with the post's comment_count — 2 statements."""
    offset = (query.page - 1) * query.per_page
    rows = yield sql.COMMENT_PAGE, (post_id, query.per_page, offset), ALL_ROWS
    count = yield sql.COMMENT_COUNT, (post_id,), FIRST_ROW
    if count is None:
        raise ApiError(404, "post_not_found")
    return documents.comment_page(rows, query.page, query.per_page, count[0])


def categories() -> Plan:
    return documents.categories((yield sql.CATEGORIES, None, ALL_ROWS))


def category_stats() -> Plan:
    """GET /stats/categories: counter rows plus each category's newest post — 1 statement."""
    return documents.category_stats((yield sql.CATEGORY_STATS, None, ALL_ROWS))


def health() -> Plan:
    """GET /healthz: the database answers ``SELECT 1``."""
    yield sql.HEALTH, None, FIRST_ROW
    return documents.HEALTH
