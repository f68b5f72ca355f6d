"""Flask configuration derived from the shared settings (finboard.settings)."""

from __future__ import annotations

from typing import Any

from finboard.core.generation_cache import KEY_PREFIX, LOCAL_THRESHOLD, TTL_SECONDS
from finboard.core.pg_sessions import connect_args
from finboard.replicas import engine_binds
from finboard.settings import Settings, load_settings, server_workers

MAX_CONTENT_LENGTH = 256 * 1024


def flask_config(settings: Settings | None = None) -> dict[str, Any]:
    settings = settings or load_settings()
    engine_options: dict[str, Any] = {"pool_pre_ping": True}
    if not settings.is_sqlite:
        engine_options.update(
            pool_size=settings.db_pool_size,
            max_overflow=0,
            pool_timeout=10,
            # TimeZone=UTC: the read path (finboard.rawsql.reads) formats timestamps
            # as they come back; it borrows its connections from this same pool. Behind
            # PgBouncer the app sets it per connection (app.register_extensions).
            connect_args=connect_args(settings, utc=True),
        )
    config: dict[str, Any] = {
        "FINBOARD_SETTINGS": settings,
        "TRUSTED_PROXIES": settings.trusted_proxies,
        "SECRET_KEY": settings.secret_key,
        "SQLALCHEMY_DATABASE_URI": settings.database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options,
        # The read replicas, one bind each (finboard.replicas); none without DATABASE_REPLICA_URLS.
        "SQLALCHEMY_BINDS": engine_binds(settings, engine_options),
        "MAX_CONTENT_LENGTH": MAX_CONTENT_LENGTH,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,
        "RATELIMIT_STORAGE_URI": settings.redis_url or "memory://",
        # The read cache (finboard.extensions.init_cache, finboard.core.generation_cache).
        "CACHE_DEFAULT_TIMEOUT": TTL_SECONDS,
        "CACHE_KEY_PREFIX": KEY_PREFIX,
        # Whole visitor pages on that same cache (finboard.page_cache).
        "PAGE_CACHE": settings.page_cache,
        "PAGE_CACHE_TTL": settings.page_cache_ttl,
        "PAGE_CACHE_MAX_AGE": settings.page_cache_max_age,
    }
    if not settings.cache_enabled:
        config.update(CACHE_TYPE="NullCache")
    elif settings.redis_url:
        config.update(
            CACHE_TYPE="RedisCache",
            CACHE_REDIS_URL=settings.redis_url,
            CACHE_OPTIONS={"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        )
    elif settings.in_process_cache(server_workers()):
        # In-process cache: only coherent in a single process, so only when
        # gunicorn says it runs one worker (or LOCAL_CACHE=1 says to anyway).
        config.update(CACHE_TYPE="SimpleCache", CACHE_THRESHOLD=LOCAL_THRESHOLD)
    else:
        config.update(CACHE_TYPE="NullCache")
    return config
