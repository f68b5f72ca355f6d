"""Per-process helpers built once from the shared settings: cache and rate limits."""

from __future__ import annotations

from functools import cache

from django.conf import settings

from finboard.core.generation_cache import GenerationCache
from finboard.core.ratelimit import AuthRateLimiter
from finboard.settings import Settings


def finboard_settings() -> Settings:
    return settings.FINBOARD_SETTINGS


@cache
def content_cache() -> GenerationCache:
    """The read cache Flask and FastAPI share (on Redis), or a no-op one."""
    config = finboard_settings()
    return GenerationCache.for_redis(config.redis_url if config.cache_enabled else None)


@cache
def rate_limiter() -> AuthRateLimiter:
    return AuthRateLimiter(finboard_settings())
