"""The API's reads through SQLAlchemy Core: ``finboard.rawsql.reads`` for any database.

The Flask app reads through these on SQLite (the embedded default), where the
hand-written PostgreSQL SQL does not apply. Same functions, same bytes: the
shared row statements of ``finboard.core.read_statements`` (built once per shape,
executed with bound values) written by ``finboard.rawsql.documents``.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.engine import Connection

from finboard.contract.errors import ApiError
from finboard.contract.limits import DETAIL_COMMENTS
from finboard.contract.pagination import PageQuery
from finboard.contract.post_filters import PostFilters
from finboard.contract.posts import PostListQuery
from finboard.core import read_statements
from finboard.core.models import Post
from finboard.rawsql import documents


def posts(conn: Connection, query: PostListQuery) -> bytes:
    filters = PostFilters.from_query(query)
    cursor = query.decoded_cursor
    shape = read_statements.ListingShape.of(filters, conn.dialect.name, page=query.page, cursor=cursor, rows=True)
    params = read_statements.listing_params(filters, query.per_page, page=query.page, cursor=cursor)
    rows = conn.execute(read_statements.post_page_statement(shape), params).all()
    total_stmt, kind = read_statements.post_total_statement(shape)
    return documents.post_page(rows, query, conn.execute(total_stmt, params).first(), kind)


def post(conn: Connection, post_id: int) -> bytes:
    row = conn.execute(read_statements.post_detail_statement(rows=True), {"post_id": post_id}).first()
    if row is None:
        raise ApiError(404, "post_not_found")
    newest = read_statements.comment_params(post_id, DETAIL_COMMENTS)
    comments = conn.execute(read_statements.comments_statement(rows=True), newest).all()
    return documents.post_detail(row, comments)


def post_alone(conn: Connection, post_id: int) -> bytes | None:
    row = conn.execute(read_statements.post_detail_statement(rows=True), {"post_id": post_id}).first()
    return None if row is None else documents.dumps(documents.post(row))


def comments(conn: Connection, post_id: int, query: PageQuery) -> bytes:
    offset = (query.page - 1) * query.per_page
    stmt = read_statements.comments_statement(newest_first=False, rows=True, offset=True)
    rows = conn.execute(stmt, read_statements.comment_params(post_id, query.per_page, offset)).all()
    total = conn.scalar(select(Post.comment_count).where(Post.id == post_id, Post.hidden_at.is_(None)))
    if total is None:
        raise ApiError(404, "post_not_found")
    return documents.comment_page(rows, query.page, query.per_page, total)


def categories(conn: Connection) -> bytes:
    return documents.categories(conn.execute(read_statements.categories_statement(rows=True)).all())


def category_stats(conn: Connection) -> bytes:
    return documents.category_stats(conn.execute(read_statements.category_stats_statement()).all())
