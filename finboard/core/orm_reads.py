"""The API's reads on a sync SQLAlchemy ``Session``: the ``orm`` data layer of the Flask app.

The sync twin of ``backends/fastapi/reads.py``: the statement builders of
``finboard.core.read_statements`` (so the same SQL: list = page + total, detail = post +
newest comments, comments = page + count, categories and stats = one each),
ORM objects shaped by ``finboard.contract.serializers`` into the contract's
pydantic schemas, serialised to the JSON bytes every backend answers with.

Each function has the signature of its ``finboard.rawsql.reads`` counterpart
with a ``Session`` in place of the psycopg connection, so ``finboard.reads``
calls whichever layer ``DATA_LAYER`` names the same way.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from finboard.contract import serializers
from finboard.contract.base import Schema
from finboard.contract.categories import CategoryList, CategoryStatsList
from finboard.contract.errors import ApiError
from finboard.contract.limits import DETAIL_COMMENTS
from finboard.contract.pagination import PageQuery, next_cursor
from finboard.contract.post_filters import missing_target
from finboard.contract.posts import PostListQuery
from finboard.core import read_statements as queries
from finboard.core.models import Post
from finboard.rawsql import page_rows


def _json(document: Schema) -> bytes:
    return document.model_dump_json().encode()


def _visible_post(session: Session, post_id: int) -> Post | None:
    return session.scalars(queries.post_detail_statement(), {"post_id": post_id}).first()


def _listing(session: Session, query: PostListQuery) -> tuple[list[Post], object, str]:
    """A page (+1 row), the total statement's row and its kind — 2 statements (+1 per named
    filter on an empty page); the API's document and the pages' rows are made of these."""
    listing = queries.Listing.of(query, session.get_bind().dialect.name)
    rows = session.scalars(listing.page, listing.params).all()
    if not rows:
        for kind, value in listing.targets:
            if session.scalar(queries.named_target_exists(kind), {"value": value}) is None:
                raise missing_target(kind)
    total_row = session.execute(listing.total, listing.params).first()
    return rows, total_row, listing.total_kind


def posts(session: Session, query: PostListQuery) -> bytes:
    """GET /posts: a page (+1 row) and its total."""
    rows, total_row, total_kind = _listing(session, query)
    return _json(serializers.post_page(rows, query, total_row, total_kind))


def post(session: Session, post_id: int) -> bytes:
    """GET /posts/{id}: the post and its newest comments — 2 statements; ApiError(404) when missing."""
    found = _visible_post(session, post_id)
    if found is None:
        raise ApiError(404, "post_not_found")
    comments = session.scalars(queries.comments_statement(), queries.comment_params(post_id, DETAIL_COMMENTS))
    return _json(serializers.post_detail(found, comments.all()))


def post_alone(session: Session, post_id: int) -> bytes | None:
    """The post without comments (the forum's post page pages its own); None when missing."""
    found = _visible_post(session, post_id)
    return None if found is None else _json(serializers.post_public(found))


def _comment_rows(session: Session, post_id: int, query: PageQuery) -> tuple[list, int]:
    """A page of comments, oldest first, and the post's comment_count — 2 statements; 404 when missing."""
    offset = (query.page - 1) * query.per_page
    stmt = queries.comments_statement(newest_first=False, offset=True)
    rows = session.scalars(stmt, queries.comment_params(post_id, query.per_page, offset)).all()
    total = session.scalar(queries.comment_total_statement(), {"post_id": post_id})
    if total is None:
        raise ApiError(404, "post_not_found")
    return rows, total


def comments(session: Session, post_id: int, query: PageQuery) -> bytes:
    """GET /posts/{id}/comments."""
    rows, total = _comment_rows(session, post_id, query)
    return _json(serializers.comment_page(rows, query, total))


def categories(session: Session) -> bytes:
    rows = session.scalars(queries.categories_statement())
    return _json(CategoryList(items=[serializers.category_public(c) for c in rows]))


def category_stats(session: Session) -> bytes:
    """GET /stats/categories: counter rows plus each category's newest post — 1 statement."""
    rows = session.execute(queries.category_stats_statement())
    return _json(CategoryStatsList(items=[serializers.category_stats(r) for r in rows]))


# The forum pages' rows (finboard.rawsql.page_rows): the same statements, their own documents,
# no pydantic on the way (the sql layer's twins are in finboard.rawsql.reads).


def page_posts(session: Session, query: PostListQuery) -> bytes:
    rows, total_row, total_kind = _listing(session, query)
    cursor = next_cursor(query.sort, rows, query.per_page)
    items = [page_rows.post_of(p) for p in rows[: query.per_page]]
    return page_rows.post_page(items, query, total_row, total_kind, cursor)


def page_post(session: Session, post_id: int) -> bytes:
    """The post page's post; ``b""`` when it is missing or hidden."""
    found = _visible_post(session, post_id)
    return page_rows.post_alone(None if found is None else page_rows.post_of(found))


def page_comments(session: Session, post_id: int, query: PageQuery) -> bytes:
    rows, total = _comment_rows(session, post_id, query)
    return page_rows.comment_page([page_rows.comment_of(c) for c in rows], query, total)
