"""The API's reads, cached as response JSON, from the data layer ``DATA_LAYER`` names.

``orm`` (the default): async SQLAlchemy sessions running the async twins of
``finboard.core.api_service``'s read functions — the same statement builders,
so the same SQL (list: page + count, detail: post + newest comments, comments:
page + count, categories and stats: one each) — serialised by the contract's
pydantic schemas. ``sql``: the async face of the hand-written SQL layer
(``finboard.rawsql.async_reads`` on the worker's ``AsyncConnectionPool``), the
plans and orjson bytes ``asgi-raw`` and the Flask API run. Either way the bytes
are the same (the conformance suite compares them), and the same cache names
and parameters as the Flask reads (``finboard.reads``) go through one
generation cache (``finboard.core.generation_cache``). Writes stay on async
SQLAlchemy whatever the layer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import psycopg
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from finboard.contract.categories import CategoryList, CategoryStatsList
from finboard.contract.comments import CommentPage
from finboard.contract.errors import ApiError
from finboard.contract.limits import DETAIL_COMMENTS
from finboard.contract.pagination import PageQuery
from finboard.contract.post_filters import missing_target
from finboard.contract.posts import PostDetail, PostListQuery, PostPage
from finboard.contract.serializers import category_public, category_stats, comment_page, post_detail, post_page
from finboard.core import read_cache_keys, read_statements
from finboard.core.generation_cache import AsyncGenerationCache
from finboard.rawsql import async_reads, plans
from finboard.rawsql.async_pool import AsyncDatabase
from finboard.rawsql.plans import Plan
from finboard.rawsql.replicas import ReplicaSet


async def list_posts(session: AsyncSession, query: PostListQuery) -> PostPage:
    listing = read_statements.Listing.of(query, session.bind.dialect.name)
    rows = (await session.scalars(listing.page, listing.params)).all()
    if not rows:  # an empty page: does the category or member it is filtered by exist at all?
        for kind, value in listing.targets:
            if await session.scalar(read_statements.named_target_exists(kind), {"value": value}) is None:
                raise missing_target(kind)
    total_row = (await session.execute(listing.total, listing.params)).first()
    return post_page(rows, query, total_row, listing.total_kind)


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
    total = await session.scalar(read_statements.comment_total_statement(), {"post_id": post_id})
    if total is None:
        raise ApiError(404, "post_not_found")
    return comment_page(rows, query, total)


async def list_categories(session: AsyncSession) -> CategoryList:
    rows = await session.scalars(read_statements.categories_statement())
    return CategoryList(items=[category_public(c) for c in rows])


async def category_stats_list(session: AsyncSession) -> CategoryStatsList:
    rows = await session.execute(read_statements.category_stats_statement())
    return CategoryStatsList(items=[category_stats(r) for r in rows])


# --- the two data layers: the same five reads, as JSON bytes -----------------------


# What a replica that died or was cut off raises: the read is retried on the primary.
REPLICA_READ_ERRORS = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError, psycopg.OperationalError)


class OrmSource:
    """The reads above on a session of their own (opened only on a cache miss), on a replica
    when ``replicas`` has one fit for this reader (``backends.fastapi.replicas``)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        replica_sessions: list[async_sessionmaker[AsyncSession]] | None = None,
        replicas: ReplicaSet | None = None,
    ):
        self.sessions = sessions
        self.replica_sessions = replica_sessions or []
        self.replicas = replicas

    async def _dump_on(self, sessions: async_sessionmaker[AsyncSession], read, *args) -> bytes:
        async with sessions() as session:
            return (await read(session, *args)).model_dump_json().encode()

    async def _dump(self, read, *args) -> bytes:
        if self.replicas is None:
            return await self._dump_on(self.sessions, read, *args)

        def run(index: int | None) -> Awaitable[bytes]:
            sessions = self.sessions if index is None else self.replica_sessions[index]
            return self._dump_on(sessions, read, *args)

        return await self.replicas.aread(run, REPLICA_READ_ERRORS)

    def posts(self, query: PostListQuery) -> Awaitable[bytes]:
        return self._dump(list_posts, query)

    def post(self, post_id: int) -> Awaitable[bytes]:
        return self._dump(get_post, post_id)

    def comments(self, post_id: int, query: PageQuery) -> Awaitable[bytes]:
        return self._dump(list_comments, post_id, query)

    def categories(self) -> Awaitable[bytes]:
        return self._dump(list_categories)

    def category_stats(self) -> Awaitable[bytes]:
        return self._dump(category_stats_list)


class SqlSource:
    """The SQL layer's plans (``finboard.rawsql.plans``) on the async face, one pooled connection per read."""

    def __init__(self, database: AsyncDatabase, replica_pools: list[AsyncDatabase] | None = None, replicas=None):
        self.database = database
        self.replica_pools = replica_pools or []
        self.replicas: ReplicaSet | None = replicas

    async def _run_on(self, database: AsyncDatabase, plan: Plan) -> bytes:
        async with database.connection() as conn:
            return await async_reads.run(conn, plan)

    async def _run(self, plan: Callable[[], Plan]) -> bytes:
        """``plan()`` on the primary's pool, or a replica's; each attempt gets a fresh plan (a
        generator half-run on a replica that failed cannot be resumed on the primary)."""
        if self.replicas is None:
            return await self._run_on(self.database, plan())

        def run(index: int | None) -> Awaitable[bytes]:
            return self._run_on(self.database if index is None else self.replica_pools[index], plan())

        return await self.replicas.aread(run, REPLICA_READ_ERRORS)

    def posts(self, query: PostListQuery) -> Awaitable[bytes]:
        return self._run(lambda: plans.posts(query))

    def post(self, post_id: int) -> Awaitable[bytes]:
        return self._run(lambda: plans.post(post_id))

    def comments(self, post_id: int, query: PageQuery) -> Awaitable[bytes]:
        return self._run(lambda: plans.comments(post_id, query))

    def categories(self) -> Awaitable[bytes]:
        return self._run(lambda: plans.categories())

    def category_stats(self) -> Awaitable[bytes]:
        return self._run(lambda: plans.category_stats())


class CachedReads:
    """The five reads as response JSON through the generation cache, from either source."""

    def __init__(self, cache: AsyncGenerationCache, source: OrmSource | SqlSource):
        self.cache = cache
        self.source = source

    async def posts_json(self, query: PostListQuery) -> bytes:
        return await self.cache.get_or_build(*read_cache_keys.posts(query), lambda: self.source.posts(query))

    async def post_json(self, post_id: int) -> bytes:
        return await self.cache.get_or_build(*read_cache_keys.post(post_id), lambda: self.source.post(post_id))

    async def comments_json(self, post_id: int, query: PageQuery) -> bytes:
        key = read_cache_keys.comments(post_id, query)
        return await self.cache.get_or_build(*key, lambda: self.source.comments(post_id, query))

    async def categories_json(self) -> bytes:
        return await self.cache.get_or_build(*read_cache_keys.CATEGORIES, self.source.categories)

    async def category_stats_json(self) -> bytes:
        return await self.cache.get_or_build(*read_cache_keys.CATEGORY_STATS, self.source.category_stats)
