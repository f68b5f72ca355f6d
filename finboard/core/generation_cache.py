"""The read cache of every backend: cached reads retired all at once by a generation.

One rule, one key scheme, a sync face (:class:`GenerationCache`: the Flask app,
Django) and an async face (:class:`AsyncGenerationCache`: FastAPI):

- The *content generation* is a counter under ``<prefix>content-generation``
  (Redis in production, so every worker and machine shares it). It starts
  from the clock in milliseconds, so a restarted Redis never reuses an old
  generation, and every write bumps it (:meth:`invalidate`).
- A read is stored under ``<prefix>read:<name>:<blake2b-96 of params>`` as
  ``b"<generation>:" + payload``: the value carries the generation it was
  built under. A hit is one round trip, ``MGET generation key``, and counts
  only when the stored generation is the current one, so one bump retires
  every cached read on every worker at once. The payload is served as
  stored: the response bytes are the ones the miss built.
- Any cache error means "read uncached": the read is built from the database
  and nothing fails. A bump that failed is done before this instance's next
  successful read, so no reader sees a page from before a write once the
  cache is back.

With read replicas (``finboard.rawsql.replicas``) two more rules keep the cache from
undoing read-your-writes: a member pinned to the primary by a recent write reads
around the cache (and stores nothing), and a read built on a replica is kept only
for the replicas' maximum lag, not the full TTL, so no reader sees a replica's
lag for longer than a replica itself may have it.

Without Redis the same scheme runs on :class:`LocalStore`, a bounded dict in
this process (only coherent in a single process; the settings decide when it
is used); ``store=None`` turns caching off.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Awaitable, Callable

import redis
import redis.asyncio as aioredis

from finboard.rawsql import replicas

logger = logging.getLogger("finboard.cache")

KEY_PREFIX = "finboard:"
GENERATION_KEY = "content-generation"  # under the prefix: finboard:content-generation
TTL_SECONDS = 300
LOCAL_THRESHOLD = 2000  # entries the in-process store keeps
SOCKET_TIMEOUT = 0.5

_CACHE_ERRORS = (redis.RedisError, OSError, ValueError, TypeError)
CACHE_ERRORS = _CACHE_ERRORS  # what a store raises when the cache is unavailable


def value_key(name: str, params: str, prefix: str = KEY_PREFIX) -> str:
    """Where the read ``name`` with ``params`` is stored (the generation is in the value)."""
    digest = hashlib.blake2b(params.encode(), digest_size=12).hexdigest()
    return f"{prefix}read:{name}:{digest}"


def initial_generation() -> int:
    return int(time.time() * 1000)


def _tag(generation: bytes) -> bytes:
    return generation + b":"


def _payload(generation: bytes | None, stored: bytes | None) -> bytes | None:
    """The cached payload when ``stored`` was built under ``generation``, else None."""
    if generation is None or stored is None:
        return None
    tag = _tag(generation)
    return stored[len(tag) :] if stored.startswith(tag) else None


def _as_bytes(value: int | bytes | str) -> bytes:
    if isinstance(value, bytes):
        return value
    return str(value).encode()


def _ttl(ttl: int, reads: replicas.ReadContext | None) -> int:
    """How long to keep a value just built: at most the replicas' maximum lag when built on one."""
    if reads is not None and reads.on_replica:
        return min(ttl, reads.replica_ttl) if ttl else reads.replica_ttl
    return ttl


# --- stores: the four operations the rule needs -----------------------------------


class RedisStore:
    """redis-py, blocking. Each operation is one round trip."""

    def __init__(self, client: redis.Redis):
        self.client = client

    @classmethod
    def from_url(cls, url: str) -> RedisStore:
        return cls(redis.Redis.from_url(url, socket_timeout=SOCKET_TIMEOUT, socket_connect_timeout=SOCKET_TIMEOUT))

    def read(self, generation_key: str, key: str) -> tuple[bytes | None, bytes | None]:
        generation, stored = self.client.mget(generation_key, key)
        return generation, stored

    def start(self, generation_key: str, initial: int) -> bytes | None:
        """The generation, set to ``initial`` unless another worker set it first."""
        pipe = self.client.pipeline(transaction=False)
        pipe.set(generation_key, initial, nx=True)
        pipe.get(generation_key)
        return pipe.execute()[1]

    def bump(self, generation_key: str, initial: int) -> None:
        pipe = self.client.pipeline(transaction=False)
        pipe.set(generation_key, initial, nx=True)
        pipe.incr(generation_key)
        pipe.execute()

    def write(self, key: str, value: bytes, ttl: int) -> None:
        self.client.set(key, value, ex=ttl or None)  # 0: no expiry

    def clear(self, prefix: str) -> None:
        for key in self.client.scan_iter(match=f"{prefix}*", count=500):
            self.client.delete(key)

    def close(self) -> None:
        self.client.close()


class AsyncRedisStore:
    """redis-py's asyncio client; the same operations as :class:`RedisStore`."""

    def __init__(self, client: aioredis.Redis):
        self.client = client

    @classmethod
    def from_url(cls, url: str) -> AsyncRedisStore:
        return cls(aioredis.Redis.from_url(url, socket_timeout=SOCKET_TIMEOUT, socket_connect_timeout=SOCKET_TIMEOUT))

    async def read(self, generation_key: str, key: str) -> tuple[bytes | None, bytes | None]:
        generation, stored = await self.client.mget(generation_key, key)
        return generation, stored

    async def start(self, generation_key: str, initial: int) -> bytes | None:
        pipe = self.client.pipeline(transaction=False)
        pipe.set(generation_key, initial, nx=True)
        pipe.get(generation_key)
        return (await pipe.execute())[1]

    async def bump(self, generation_key: str, initial: int) -> None:
        pipe = self.client.pipeline(transaction=False)
        pipe.set(generation_key, initial, nx=True)
        pipe.incr(generation_key)
        await pipe.execute()

    async def write(self, key: str, value: bytes, ttl: int) -> None:
        await self.client.set(key, value, ex=ttl or None)  # 0: no expiry

    async def close(self) -> None:
        await self.client.aclose()


class LocalStore:
    """The same operations on a dict in this process (thread-safe, bounded, with expiry)."""

    def __init__(self, threshold: int = LOCAL_THRESHOLD):
        self.threshold = threshold
        self._items: dict[str, tuple[float | None, bytes]] = {}
        self._values: set[str] = set()  # the keys of cached reads (every other key is a generation)
        self._lock = threading.Lock()

    def _get(self, key: str) -> bytes | None:
        item = self._items.get(key)
        if item is None:
            return None
        expires, value = item
        if expires is not None and expires <= time.monotonic():
            self._forget(key)
            return None
        return value

    def read(self, generation_key: str, key: str) -> tuple[bytes | None, bytes | None]:
        with self._lock:
            return self._get(generation_key), self._get(key)

    def start(self, generation_key: str, initial: int) -> bytes | None:
        with self._lock:
            if self._get(generation_key) is None:
                self._items[generation_key] = (None, _as_bytes(initial))
            return self._get(generation_key)

    def bump(self, generation_key: str, initial: int) -> None:
        with self._lock:
            current = self._get(generation_key)
            self._items[generation_key] = (None, _as_bytes(int(current or initial) + 1))

    def write(self, key: str, value: bytes, ttl: int) -> None:
        with self._lock:
            if len(self._items) >= self.threshold:
                self._prune()
            self._items[key] = (time.monotonic() + ttl if ttl else None, value)
            self._values.add(key)

    def _prune(self) -> None:
        now = time.monotonic()
        for key in [k for k in self._values if (self._items[k][0] or now + 1) <= now]:  # expired
            self._forget(key)
        for key in [k for k in self._items if k in self._values]:  # oldest first (insertion order)
            if len(self._items) < self.threshold:
                break
            self._forget(key)  # never the generation

    def _forget(self, key: str) -> None:
        self._items.pop(key, None)
        self._values.discard(key)

    def clear(self, prefix: str) -> None:
        with self._lock:
            self._items.clear()
            self._values.clear()

    def close(self) -> None:
        pass


# --- the two faces ----------------------------------------------------------------


class _Face:
    """What both faces hold: the store, the key prefix, the generation key and the value lifetime."""

    def __init__(self, store, prefix: str = KEY_PREFIX, ttl: int = TTL_SECONDS):
        self.store = store
        self.prefix = prefix
        self.generation_key = prefix + GENERATION_KEY
        self.ttl = ttl
        self._pending_bump = False


class GenerationCache(_Face):
    """Blocking face: the Flask app and Django. ``store`` (a RedisStore or LocalStore) None: caching is off."""

    @classmethod
    def for_redis(cls, url: str | None, **kwargs) -> GenerationCache:
        """Redis at ``url``; None: no cache (the API adapters without Redis)."""
        return cls(RedisStore.from_url(url) if url else None, **kwargs)

    def get_or_build(self, name: str, params: str, build: Callable[[], bytes]) -> bytes:
        """``build()`` cached under (name, params) for the current generation."""
        reads = replicas.current()
        if self.store is None or (reads is not None and reads.pinned):
            return build()
        key = value_key(name, params, self.prefix)
        try:
            generation, cached = self.lookup(key)
            if cached is not None:
                return cached
        except _CACHE_ERRORS:
            logger.warning("cache unavailable; reading from the database", exc_info=True)
            return build()
        value = build()
        if generation is not None:
            try:
                self.put(key, generation, value, _ttl(self.ttl, reads))
            except _CACHE_ERRORS:
                logger.warning("cache write failed", exc_info=True)
        return value

    def lookup(self, key: str) -> tuple[bytes | None, bytes | None]:
        """(current generation, what ``key`` holds for it or None): one round trip on a hit.

        For callers that build and store their own values (``get_or_build``, the page
        cache in ``finboard.page_cache``); a deferred bump is done first, and a missing
        generation is started. Raises the store's errors (``CACHE_ERRORS``).
        """
        if self._pending_bump:
            self.store.bump(self.generation_key, initial_generation())
            self._pending_bump = False
        generation, stored = self.store.read(self.generation_key, key)
        cached = _payload(generation, stored)
        if cached is None and generation is None:
            generation = self.store.start(self.generation_key, initial_generation())
        return generation, cached

    def put(self, key: str, generation: bytes | int, value: bytes, ttl: int) -> None:
        """Store ``value`` under ``key`` as built under ``generation`` (from :meth:`lookup`)."""
        self.store.write(key, _tag(_as_bytes(generation)) + value, ttl)

    def invalidate(self) -> None:
        """Retire every cached read, everywhere; call after each committed write."""
        if self.store is None:
            return
        try:
            self.store.bump(self.generation_key, initial_generation())
        except _CACHE_ERRORS:
            self._pending_bump = True
            logger.warning("cache invalidation deferred: cache unavailable", exc_info=True)

    def clear(self) -> None:
        """Forget every key under this prefix (tests)."""
        if self.store is not None:
            self.store.clear(self.prefix)

    def close(self) -> None:
        if self.store is not None:
            self.store.close()


class AsyncGenerationCache(_Face):
    """Async face (FastAPI): the same keys, values and rule as :class:`GenerationCache` (store: AsyncRedisStore)."""

    @classmethod
    def for_redis(cls, url: str | None, **kwargs) -> AsyncGenerationCache:
        return cls(AsyncRedisStore.from_url(url) if url else None, **kwargs)

    async def get_or_build(self, name: str, params: str, build: Callable[[], Awaitable[bytes]]) -> bytes:
        reads = replicas.current()
        if self.store is None or (reads is not None and reads.pinned):
            return await build()
        key = value_key(name, params, self.prefix)
        try:
            if self._pending_bump:
                await self.store.bump(self.generation_key, initial_generation())
                self._pending_bump = False
            generation, stored = await self.store.read(self.generation_key, key)
            cached = _payload(generation, stored)
            if cached is not None:
                return cached
            if generation is None:
                generation = await self.store.start(self.generation_key, initial_generation())
        except _CACHE_ERRORS:
            logger.warning("cache unavailable; reading from the database", exc_info=True)
            return await build()
        value = await build()
        if generation is not None:
            try:
                await self.store.write(key, _tag(_as_bytes(generation)) + value, _ttl(self.ttl, reads))
            except _CACHE_ERRORS:
                logger.warning("cache write failed", exc_info=True)
        return value

    async def invalidate(self) -> None:
        if self.store is None:
            return
        try:
            await self.store.bump(self.generation_key, initial_generation())
        except _CACHE_ERRORS:
            self._pending_bump = True
            logger.warning("cache invalidation deferred: cache unavailable", exc_info=True)

    async def close(self) -> None:
        if self.store is not None:
            await self.store.close()
