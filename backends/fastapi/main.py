"""The FastAPI app: ``gunicorn backends.fastapi.main:app -k uvicorn_worker.UvicornWorker``.

Importing this module builds the app but touches nothing outside the process:
settings, the engine, the cache client and the rate limiter are created by the
lifespan, once per worker, and the engine is disposed when the worker stops.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from backends.fastapi import db, errors
from backends.fastapi.deps import Resources
from backends.fastapi.middleware import AutomaticMethods, SecurityHeaders
from backends.fastapi.routes import auth, categories, market, meta, moderation, posts, profiles, subscriptions
from finboard.contract.request_parsing import API_PREFIX
from finboard.core.generation_cache import AsyncGenerationCache
from finboard.core.ratelimit import AuthRateLimiter
from finboard.settings import Settings, load_settings


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; ``settings`` defaults to the environment, read at startup."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        resolved = settings or load_settings()
        engine = db.create_engine(resolved)
        cache = AsyncGenerationCache.for_redis(resolved.redis_url if resolved.cache_enabled else None)
        app.state.resources = Resources(
            settings=resolved,
            engine=engine,
            sessions=db.create_sessionmaker(engine),
            cache=cache,
            limiter=AuthRateLimiter(resolved),
        )
        try:
            yield
        finally:
            await cache.close()
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
    app.add_middleware(AutomaticMethods)
    app.add_middleware(SecurityHeaders)  # added last: outermost
    for module in (auth, posts, categories, meta, profiles, moderation, subscriptions, market):
        app.include_router(module.router, prefix=API_PREFIX)
    return app


app = create_app()
