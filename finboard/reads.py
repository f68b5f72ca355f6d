"""The forum's and the Flask API's reads: the contract's JSON bytes, cached.

Why bytes: the API answers with them as they are (a cache hit is one Redis
round trip and no serialisation at all), and the pages parse the same cached
bytes into the contract's models, so both show the same data and share one
cache and one invalidation rule (``finboard.cache_keys``).

A miss runs the shared row statements (``finboard.core.queries`` with
``rows=True``) on an autocommit connection — no BEGIN/ROLLBACK round trips;
PostgreSQL's READ COMMITTED gives each statement its own snapshot either way —
and writes the rows with ``finboard.core.documents`` (orjson), the path the
``raw`` reference backend takes too. The FastAPI and Django adapters build the
same bytes through pydantic; the conformance suite compares them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import contextmanager
from weakref import WeakKeyDictionary

from flask import g, has_request_context
from sqlalchemy import select
from sqlalchemy.engine import Connection, Engine

from finboard.cache_keys import cached_bytes
from finboard.core import documents, queries
from finboard.core.api_contract import ApiError
from finboard.core.models import Post
from finboard.core.schemas import (
    DETAIL_COMMENTS,
    CategoryList,
    CategoryStatsList,
    CommentPage,
    PageQuery,
    PostDetail,
    PostListQuery,
    PostPage,
    PostPublic,
)
from finboard.extensions import db

_readers: WeakKeyDictionary[Engine, Engine] = WeakKeyDictionary()
NOT_FOUND = b""  # cached marker: the post does not exist (a 404 is cached like any read)


@contextmanager
def read_connection():
    """A pooled connection in autocommit mode (same pool as the session, no transaction).

    Within a request, one connection serves every read (a page reads the post,
    its comments and the categories): it is checked out — and pinged — once,
    and returned when the request ends (``close_read_connection``).
    """
    if has_request_context():
        connection = g.get("read_connection")
        if connection is None:
            connection = g.read_connection = _reader().connect()
        yield connection
        return
    with _reader().connect() as connection:
        yield connection


def _reader() -> Engine:
    engine = db.engine
    reader = _readers.get(engine)
    if reader is None:
        reader = _readers[engine] = engine.execution_options(isolation_level="AUTOCOMMIT")
    return reader


def close_read_connection(_error: BaseException | None = None) -> None:
    """Teardown: give the request's read connection back to the pool."""
    connection = g.pop("read_connection", None)
    if connection is not None:
        connection.close()


def _read(build: Callable[[Connection], bytes]) -> Callable[[], bytes]:
    def run() -> bytes:
        with read_connection() as connection:
            return build(connection)

    return run


# --- JSON (the API) ---------------------------------------------------------------


def posts_json(query: PostListQuery) -> bytes:
    def build(connection: Connection) -> bytes:
        dialect = connection.dialect.name
        filters = queries.PostFilters.from_query(query)
        cursor = query.decoded_cursor
        shape = queries.ListingShape.of(filters, dialect, page=query.page, cursor=cursor, rows=True)
        params = queries.listing_params(filters, query.per_page, page=query.page, cursor=cursor)
        rows = connection.execute(queries.post_page_statement(shape), params).all()
        total_stmt, kind = queries.post_total_statement(shape)
        return documents.post_page(rows, query, connection.execute(total_stmt, params).first(), kind)

    return cached_bytes("posts", query.model_dump_json(), _read(build))


def post_json(post_id: int) -> bytes:
    """A post with its newest comments; ApiError(404) when missing."""

    def build(connection: Connection) -> bytes:
        row = connection.execute(queries.post_detail_statement(rows=True), {"post_id": post_id}).first()
        if row is None:
            return NOT_FOUND
        comments = connection.execute(
            queries.comments_statement(rows=True), queries.comment_params(post_id, DETAIL_COMMENTS)
        ).all()
        return documents.post_detail(row, comments)

    return _found(cached_bytes("post", str(post_id), _read(build)))


def comments_json(post_id: int, query: PageQuery) -> bytes:
    """Oldest first; ApiError(404) when the post is missing."""

    def build(connection: Connection) -> bytes:
        offset = (query.page - 1) * query.per_page
        stmt = queries.comments_statement(newest_first=False, rows=True, offset=True)
        rows = connection.execute(stmt, queries.comment_params(post_id, query.per_page, offset)).all()
        total = connection.scalar(select(Post.comment_count).where(Post.id == post_id))
        if total is None:
            return NOT_FOUND
        return documents.comment_page(rows, query.page, query.per_page, total)

    return _found(cached_bytes("comments", f"{post_id}:{query.model_dump_json()}", _read(build)))


def categories_json() -> bytes:
    def build(connection: Connection) -> bytes:
        return documents.categories(connection.execute(queries.categories_statement(rows=True)).all())

    return cached_bytes("categories", "", _read(build))


def category_stats_json() -> bytes:
    def build(connection: Connection) -> bytes:
        return documents.category_stats(connection.execute(queries.category_stats_statement()).all())

    return cached_bytes("category-stats", "", _read(build))


def _found(document: bytes) -> bytes:
    if document == NOT_FOUND:
        raise ApiError(404, "post_not_found")
    return document


# --- models (the pages) -----------------------------------------------------------


def list_posts(query: PostListQuery) -> PostPage:
    return PostPage.model_validate_json(posts_json(query))


def post_detail(post_id: int) -> PostDetail:
    return PostDetail.model_validate_json(post_json(post_id))


def get_post(post_id: int) -> PostPublic | None:
    """The post alone (one statement), for the forum page that pages its own comments."""

    def build(connection: Connection) -> bytes:
        row = connection.execute(queries.post_detail_statement(rows=True), {"post_id": post_id}).first()
        return NOT_FOUND if row is None else documents.dumps(documents.post(row))

    document = cached_bytes("post-page", str(post_id), _read(build))
    return None if document == NOT_FOUND else PostPublic.model_validate_json(document)


def list_comments(post_id: int, query: PageQuery) -> CommentPage:
    return CommentPage.model_validate_json(comments_json(post_id, query))


CATEGORIES_TTL_SECONDS = 60.0
_categories: WeakKeyDictionary[Engine, tuple[float, CategoryList]] = WeakKeyDictionary()


def list_categories() -> CategoryList:
    """The categories, kept by each worker for a minute.

    Every page shows them in its navigation; they change only with a migration
    (no page or endpoint edits them), so a database read per page is waste.
    """
    engine = db.engine
    now = time.monotonic()
    kept = _categories.get(engine)
    if kept is None or now - kept[0] > CATEGORIES_TTL_SECONDS:
        kept = _categories[engine] = (now, CategoryList.model_validate_json(categories_json()))
    return kept[1]


def category_stats_list() -> CategoryStatsList:
    return CategoryStatsList.model_validate_json(category_stats_json())
