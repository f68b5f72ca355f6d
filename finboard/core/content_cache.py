"""The API read cache for the FastAPI and Django adapters, on plain redis-py.

It follows the same rule as the Flask app's Flask-Caching reads
(``finboard.cache_keys``) and shares its generation counter — the Redis key
``finboard:content-generation`` — so a write through any backend retires
cached reads in every backend. Cached values are the response JSON itself.
Any Redis error means "read uncached", never an error to the client; a bump
that failed is retried on the next successful access.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Awaitable, Callable

import redis
import redis.asyncio as aioredis

logger = logging.getLogger("finboard.cache")

KEY_PREFIX = "finboard:"
GENERATION_KEY = KEY_PREFIX + "content-generation"
TTL_SECONDS = 300
SOCKET_TIMEOUT = 0.5


def value_key(name: str, generation: int, params: str) -> str:
    digest = hashlib.blake2b(params.encode(), digest_size=12).hexdigest()
    return f"{KEY_PREFIX}api:{name}:{generation}:{digest}"


def _initial_generation() -> int:
    return int(time.time() * 1000)


class ContentCache:
    """Sync (Django) flavour; ``client`` None means caching is off."""

    def __init__(self, url: str | None):
        self.client = (
            redis.Redis.from_url(url, socket_timeout=SOCKET_TIMEOUT, socket_connect_timeout=SOCKET_TIMEOUT)
            if url
            else None
        )
        self._pending_bump = False

    def _generation(self) -> int | None:
        if self.client is None:
            return None
        try:
            if self._pending_bump:
                self.client.incr(GENERATION_KEY)
                self._pending_bump = False
            value = self.client.get(GENERATION_KEY)
            if value is None:
                self.client.set(GENERATION_KEY, _initial_generation(), nx=True)
                value = self.client.get(GENERATION_KEY)
            return int(value)
        except (redis.RedisError, ValueError, TypeError):
            logger.warning("cache unavailable; reading from the database")
            return None

    def get_or_build(self, name: str, params: str, build: Callable[[], str]) -> str:
        generation = self._generation()
        if generation is None:
            return build()
        key = value_key(name, generation, params)
        try:
            cached = self.client.get(key)
        except redis.RedisError:
            cached = None
        if cached is not None:
            return cached.decode()
        value = build()
        try:
            self.client.set(key, value, ex=TTL_SECONDS)
        except redis.RedisError:
            pass
        return value

    def invalidate(self) -> None:
        if self.client is None:
            return
        try:
            self.client.set(GENERATION_KEY, _initial_generation(), nx=True)
            self.client.incr(GENERATION_KEY)
        except redis.RedisError:
            self._pending_bump = True


class AsyncContentCache:
    """Async (FastAPI) flavour of ContentCache, same keys and rules."""

    def __init__(self, url: str | None):
        self.client = (
            aioredis.Redis.from_url(url, socket_timeout=SOCKET_TIMEOUT, socket_connect_timeout=SOCKET_TIMEOUT)
            if url
            else None
        )
        self._pending_bump = False

    async def _generation(self) -> int | None:
        if self.client is None:
            return None
        try:
            if self._pending_bump:
                await self.client.incr(GENERATION_KEY)
                self._pending_bump = False
            value = await self.client.get(GENERATION_KEY)
            if value is None:
                await self.client.set(GENERATION_KEY, _initial_generation(), nx=True)
                value = await self.client.get(GENERATION_KEY)
            return int(value)
        except (redis.RedisError, ValueError, TypeError, OSError):
            logger.warning("cache unavailable; reading from the database")
            return None

    async def get_or_build(self, name: str, params: str, build: Callable[[], Awaitable[str]]) -> str:
        generation = await self._generation()
        if generation is None:
            return await build()
        key = value_key(name, generation, params)
        try:
            cached = await self.client.get(key)
        except (redis.RedisError, OSError):
            cached = None
        if cached is not None:
            return cached.decode()
        value = await build()
        try:
            await self.client.set(key, value, ex=TTL_SECONDS)
        except (redis.RedisError, OSError):
            pass
        return value

    async def invalidate(self) -> None:
        if self.client is None:
            return
        try:
            await self.client.set(GENERATION_KEY, _initial_generation(), nx=True)
            await self.client.incr(GENERATION_KEY)
        except (redis.RedisError, OSError):
            self._pending_bump = True
