"""The forum's and the Flask API's reads, as contract schemas, cached.

Both the server-rendered pages and /api/v1 go through these functions (which
wrap ``finboard.core.api_service``), so they show the same data and share one
cache and one invalidation rule.
"""

from __future__ import annotations

from finboard.cache_keys import cached_model
from finboard.core import api_service, queries
from finboard.core.api_contract import ApiError
from finboard.core.schemas import (
    CategoryList,
    CategoryStatsList,
    CommentPage,
    PageQuery,
    PostDetail,
    PostListQuery,
    PostPage,
    PostPublic,
)
from finboard.core.serializers import post_public
from finboard.extensions import db


def list_posts(query: PostListQuery) -> PostPage:
    def build() -> PostPage:
        return api_service.list_posts(db.session, db.engine.dialect.name, query)

    return cached_model("posts", query.model_dump_json(), build, PostPage)


def post_detail(post_id: int) -> PostDetail:
    """A post with its newest comments; ApiError(404) when missing."""
    return cached_model("post", str(post_id), lambda: api_service.get_post(db.session, post_id), PostDetail)


def get_post(post_id: int) -> PostPublic | None:
    """The post alone (one statement), for the forum page that pages its own comments."""

    def build() -> PostPublic:
        post = db.session.scalars(queries.post_detail_statement(post_id)).first()
        if post is None:
            raise ApiError(404, "post_not_found")
        return post_public(post)

    try:
        return cached_model("post-page", str(post_id), build, PostPublic)
    except ApiError:
        return None


def list_comments(post_id: int, query: PageQuery) -> CommentPage:
    """Oldest first; ApiError(404) when the post is missing."""

    def build() -> CommentPage:
        return api_service.list_comments(db.session, post_id, query)

    return cached_model("comments", f"{post_id}:{query.model_dump_json()}", build, CommentPage)


def list_categories() -> CategoryList:
    return cached_model("categories", "", lambda: api_service.list_categories(db.session), CategoryList)


def category_stats_list() -> CategoryStatsList:
    return cached_model("category-stats", "", lambda: api_service.category_stats_list(db.session), CategoryStatsList)
