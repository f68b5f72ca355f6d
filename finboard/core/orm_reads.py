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
from finboard.contract.pagination import PageQuery
from finboard.contract.post_filters import missing_target
from finboard.contract.posts import PostListQuery
from finboard.core import read_statements as queries
from finboard.core.models import Post


def _json(document: Schema) -> bytes:
    return document.model_dump_json().encode()


def _visible_post(session: Session, post_id: int) -> Post | None:
    return session.scalars(queries.post_detail_statement(), {"post_id": post_id}).first()


def posts(session: Session, query: PostListQuery) -> bytes:
    """GET /posts: a page (+1 row) and its total — 2 statements (+1 per named filter on an empty page)."""
    listing = queries.Listing.of(query, session.get_bind().dialect.name)
    rows = session.scalars(listing.page, listing.params).all()
    if not rows:
        for kind, value in listing.targets:
            if session.scalar(queries.named_target_exists(kind), {"value": value}) is None:
                raise missing_target(kind)
    total_row = session.execute(listing.total, listing.params).first()
    return _json(serializers.post_page(rows, query, total_row, listing.total_kind))


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


def comments(session: Session, post_id: int, query: PageQuery) -> bytes:
    """GET /posts/{id}/comments: oldest first, with the post's comment_count — 2 statements."""
    offset = (query.page - 1) * query.per_page
    stmt = queries.comments_statement(newest_first=False, offset=True)
    rows = session.scalars(stmt, queries.comment_params(post_id, query.per_page, offset)).all()
    total = session.scalar(queries.comment_total_statement(), {"post_id": post_id})
    if total is None:
        raise ApiError(404, "post_not_found")
    return _json(serializers.comment_page(rows, query, total))


def categories(session: Session) -> bytes:
    rows = session.scalars(queries.categories_statement())
    return _json(CategoryList(items=[serializers.category_public(c) for c in rows]))


def category_stats(session: Session) -> bytes:
    """GET /stats/categories: counter rows plus each category's newest post — 1 statement."""
    rows = session.execute(queries.category_stats_statement())
    return _json(CategoryStatsList(items=[serializers.category_stats(r) for r in rows]))
