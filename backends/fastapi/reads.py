"""The API's reads on an AsyncSession, cached as response JSON.

The async twins of ``finboard.core.api_service``'s read functions: the same
statement builders, so the same SQL (list: page + count, detail: post + newest
comments, comments: page + count, categories and stats: one each), and the
same cache names and parameters as the Flask reads (``finboard.reads``), so
one generation cache (``finboard.core.generation_cache``) serves both.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from finboard.contract.categories import CategoryList, CategoryStatsList
from finboard.contract.comments import CommentPage
from finboard.contract.errors import ApiError
from finboard.contract.limits import DETAIL_COMMENTS
from finboard.contract.pagination import PageQuery
from finboard.contract.post_filters import PostFilters
from finboard.contract.posts import PostDetail, PostListQuery, PostPage
from finboard.contract.serializers import category_public, category_stats, comment_page, post_detail, post_page
from finboard.core import read_statements
from finboard.core.generation_cache import AsyncGenerationCache
from finboard.core.models import Post


async def list_posts(session: AsyncSession, query: PostListQuery) -> PostPage:
    dialect = session.bind.dialect.name
    filters = PostFilters.from_query(query)
    cursor = query.decoded_cursor
    shape = read_statements.ListingShape.of(filters, dialect, page=query.page, cursor=cursor)
    params = read_statements.listing_params(filters, query.per_page, page=query.page, cursor=cursor)
    rows = (await session.scalars(read_statements.post_page_statement(shape), params)).all()
    total_stmt, kind = read_statements.post_total_statement(shape)
    return post_page(rows, query, (await session.execute(total_stmt, params)).first(), kind)


async def get_post(session: AsyncSession, post_id: int) -> PostDetail:
    post = (await session.scalars(read_statements.post_detail_statement(), {"post_id": post_id})).first()
    if post is None:
        raise ApiError(404, "post_not_found")
    newest = read_statements.comment_params(post_id, DETAIL_COMMENTS)
    comments = (await session.scalars(read_statements.comments_statement(), newest)).all()
    return post_detail(post, comments)


async def list_comments(session: AsyncSession, post_id: int, query: PageQuery) -> CommentPage:
    offset = (query.page - 1) * query.per_page
    stmt = read_statements.comments_statement(newest_first=False, offset=True)
    rows = (await session.scalars(stmt, read_statements.comment_params(post_id, query.per_page, offset))).all()
    total = await session.scalar(select(Post.comment_count).where(Post.id == post_id, Post.hidden_at.is_(None)))
    if total is None:
        raise ApiError(404, "post_not_found")
    return comment_page(rows, query, total)


async def list_categories(session: AsyncSession) -> CategoryList:
    rows = await session.scalars(read_statements.categories_statement())
    return CategoryList(items=[category_public(c) for c in rows])


async def category_stats_list(session: AsyncSession) -> CategoryStatsList:
    rows = await session.execute(read_statements.category_stats_statement())
    return CategoryStatsList(items=[category_stats(r) for r in rows])


# --- cached, as response JSON ---------------------------------------------------


async def posts_json(session: AsyncSession, cache: AsyncGenerationCache, query: PostListQuery) -> bytes:
    async def build() -> bytes:
        return (await list_posts(session, query)).model_dump_json().encode()

    return await cache.get_or_build("posts", query.model_dump_json(), build)


async def post_json(session: AsyncSession, cache: AsyncGenerationCache, post_id: int) -> bytes:
    async def build() -> bytes:
        return (await get_post(session, post_id)).model_dump_json().encode()

    return await cache.get_or_build("post", str(post_id), build)


async def comments_json(session: AsyncSession, cache: AsyncGenerationCache, post_id: int, query: PageQuery) -> bytes:
    async def build() -> bytes:
        return (await list_comments(session, post_id, query)).model_dump_json().encode()

    return await cache.get_or_build("comments", f"{post_id}:{query.model_dump_json()}", build)


async def categories_json(session: AsyncSession, cache: AsyncGenerationCache) -> bytes:
    async def build() -> bytes:
        return (await list_categories(session)).model_dump_json().encode()

    return await cache.get_or_build("categories", "", build)


async def category_stats_json(session: AsyncSession, cache: AsyncGenerationCache) -> bytes:
    async def build() -> bytes:
        return (await category_stats_list(session)).model_dump_json().encode()

    return await cache.get_or_build("category-stats", "", build)
