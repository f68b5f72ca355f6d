"""The forum's and the Flask API's reads, as contract schemas, cached.

Both the server-rendered pages and /api/v1 go through these functions, so
they show the same data and share one cache and one invalidation rule.
"""

from __future__ import annotations

from finboard.cache_keys import cached_model
from finboard.core import queries
from finboard.core.schemas import (
    DETAIL_COMMENTS,
    CategoryList,
    CategoryStatsList,
    CommentPage,
    Page,
    PageQuery,
    PostDetail,
    PostListQuery,
    PostPage,
)
from finboard.core.serializers import (
    category_public,
    category_stats,
    comment_public,
    post_detail,
    post_public,
)
from finboard.extensions import db


def _dialect() -> str:
    return db.engine.dialect.name


def list_posts(query: PostListQuery) -> PostPage:
    def build() -> PostPage:
        filters = queries.PostFilters.from_query(query)
        rows = db.session.scalars(
            queries.post_page_statement(filters, query.page, query.per_page, _dialect())
        ).all()
        total = db.session.scalar(queries.post_count_statement(filters, _dialect())) or 0
        return PostPage(
            items=[post_public(p) for p in rows],
            page=query.page,
            per_page=query.per_page,
            total=total,
            pages=Page.count_pages(total, query.per_page),
        )

    return cached_model("posts", query.model_dump_json(), build, PostPage)


def get_post(post_id: int) -> PostDetail | None:
    """A post with its newest comments, or None. Two statements."""

    def build() -> PostDetail:
        post = db.session.scalars(queries.post_detail_statement(post_id)).first()
        if post is None:
            raise LookupError(post_id)
        comments = db.session.scalars(queries.comments_statement(post_id, DETAIL_COMMENTS)).all()
        return post_detail(post, comments)

    try:
        return cached_model("post", str(post_id), build, PostDetail)
    except LookupError:
        return None


def list_comments(post_id: int, query: PageQuery, newest_first: bool = False) -> CommentPage:
    def build() -> CommentPage:
        offset = (query.page - 1) * query.per_page
        rows = db.session.scalars(
            queries.comments_statement(post_id, query.per_page, offset, newest_first=newest_first)
        ).all()
        total = db.session.scalar(queries.comment_count_statement(post_id)) or 0
        return CommentPage(
            items=[comment_public(c) for c in rows],
            page=query.page,
            per_page=query.per_page,
            total=total,
            pages=Page.count_pages(total, query.per_page),
        )

    params = f"{post_id}:{newest_first}:{query.model_dump_json()}"
    return cached_model("comments", params, build, CommentPage)


def list_categories() -> CategoryList:
    def build() -> CategoryList:
        rows = db.session.scalars(queries.categories_statement()).all()
        return CategoryList(items=[category_public(c) for c in rows])

    return cached_model("categories", "", build, CategoryList)


def category_stats_list() -> CategoryStatsList:
    def build() -> CategoryStatsList:
        rows = db.session.execute(queries.category_stats_statement()).all()
        return CategoryStatsList(items=[category_stats(r) for r in rows])

    return cached_model("category-stats", "", build, CategoryStatsList)
