"""The FastAPI app: ``gunicorn backends.fastapi.main:app -k backends.asgi_worker.TunedUvicornWorker``.

Importing this module builds the app but touches nothing outside the process:
settings, the engine, the cache client, the rate limiter and (with
``DATA_LAYER=sql``) the SQL layer's async pool are created by the lifespan,
once per worker in its event loop, and closed when the worker stops.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from backends.fastapi import db, errors, reads
from backends.fastapi import replicas as replica_reads
from backends.fastapi.deps import Resources
from backends.fastapi.middleware import AutomaticMethods, SecurityHeaders
from backends.fastapi.routes import (
    account_data,
    accounts,
    auth,
    blocks,
    categories,
    market,
    meta,
    moderation,
    posts,
    profiles,
    reactions,
    reading,
    replies,
    subscriptions,
    two_factor,
    uploads,
)
from finboard.contract.request_parsing import API_PREFIX
from finboard.core.generation_cache import AsyncGenerationCache
from finboard.core.ratelimit import AuthRateLimiter
from finboard.rawsql.async_pool import AsyncDatabase
from finboard.rawsql.replicas import ReplicaSet
from finboard.settings import Settings, load_settings


def sql_database(settings: Settings) -> AsyncDatabase | None:
    """The SQL layer's async pool when ``DATA_LAYER=sql`` (PostgreSQL only), else None (the ORM reads)."""
    if settings.data_layer != "sql":
        return None
    return AsyncDatabase.from_settings(settings, who="FastAPI with DATA_LAYER=sql (the hand-written SQL layer)")


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; ``settings`` defaults to the environment, read at startup."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        resolved = settings or load_settings()
        sql_layer = sql_database(resolved)  # before anything opens: SQLite with DATA_LAYER=sql is refused
        engine = db.create_engine(resolved)
        sessions = db.create_sessionmaker(engine)
        cache = AsyncGenerationCache.for_redis(resolved.redis_url if resolved.cache_enabled else None)
        if sql_layer is not None:
            await sql_layer.open()
        replicas = ReplicaSet.from_settings(resolved)  # DATABASE_REPLICA_URLS; None: every read on the primary
        if replicas is not None:
            replicas.start()
        replica_engines = replica_reads.replica_engines(resolved, db.create_engine) if replicas else []
        replica_pools = replica_reads.replica_pools(resolved) if replicas and sql_layer is not None else []
        for pool in replica_pools:
            await pool.open()
        if sql_layer is None:
            source = reads.OrmSource(sessions, replica_reads.replica_sessions(replica_engines), replicas)
        else:
            source = reads.SqlSource(sql_layer, replica_pools, replicas)
        app.state.resources = Resources(
            settings=resolved,
            engine=engine,
            sessions=sessions,
            cache=cache,
            limiter=AuthRateLimiter(resolved),
            reads=reads.CachedReads(cache, source),
            replicas=replicas,
        )
        try:
            yield
        finally:
            await cache.close()
            if sql_layer is not None:
                await sql_layer.close()
            for pool in replica_pools:
                await pool.close()
            for replica_engine in replica_engines:
                await replica_engine.dispose()
            if replicas is not None:
                replicas.close()
            await engine.dispose()

    app = FastAPI(
        title="FinBoard API",
        lifespan=lifespan,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        redirect_slashes=False,  # like Flask: /api/v1/posts/ is a 404, not a redirect
    )
    errors.install(app)
    app.add_middleware(replica_reads.ReadYourWrites)
    app.add_middleware(AutomaticMethods)
    app.add_middleware(SecurityHeaders)  # added last: outermost
    routers = (
        auth, two_factor, accounts, account_data, posts, categories, meta, profiles, replies, moderation, subscriptions,
        market, blocks, reactions, reading, uploads,
    )  # fmt: skip
    for module in routers:
        app.include_router(module.router, prefix=API_PREFIX)
    return app


app = create_app()
