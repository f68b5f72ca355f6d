"""Cache reads that nobody can see stale, and that never fail because of Redis.

Every cached value is stored under the current *content generation*, a
counter kept in the cache itself (Redis in production, so every worker and
machine shares it). Each write bumps the generation, which retires every
cached listing and post at once: no reader, on any worker, sees a page from
before the write. If the cache is unreachable, reads go straight to the
database and the bump is retried on this worker's next successful access.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable

from finboard.extensions import cache

logger = logging.getLogger("finboard.cache")

GENERATION_KEY = "content-generation"

_pending_invalidation = False


def _current_generation() -> int | None:
    """The generation, or None when the cache can't be used right now."""
    global _pending_invalidation
    try:
        if _pending_invalidation:
            cache.cache.inc(GENERATION_KEY)
            _pending_invalidation = False
        generation = cache.get(GENERATION_KEY)
        if generation is None:
            # Start from the clock so a restarted cache never reuses old keys.
            cache.add(GENERATION_KEY, int(time.time() * 1000), timeout=0)
            generation = cache.get(GENERATION_KEY)
        return int(generation) if generation is not None else None
    except Exception:  # noqa: BLE001 - any cache failure means "read uncached"
        logger.warning("cache unavailable; reading from the database", exc_info=True)
        return None


def cached_bytes(name: str, params: str, build: Callable[[], bytes]) -> bytes:
    """``build()`` memoised under (name, params, generation): a hit is served as stored."""
    generation = _current_generation()
    if generation is None:
        return build()
    digest = hashlib.blake2b(params.encode(), digest_size=12).hexdigest()
    key = f"{name}:{generation}:{digest}"
    try:
        raw = cache.get(key)
    except Exception:  # noqa: BLE001
        raw = None
    if raw is not None:
        return raw
    value = build()
    try:
        cache.set(key, value)
    except Exception:  # noqa: BLE001
        logger.warning("cache write failed", exc_info=True)
    return value


def invalidate_content() -> None:
    """Retire every cached read; call after each committed write."""
    global _pending_invalidation
    try:
        if cache.get(GENERATION_KEY) is None:
            cache.add(GENERATION_KEY, int(time.time() * 1000), timeout=0)
        cache.cache.inc(GENERATION_KEY)
    except Exception:  # noqa: BLE001
        _pending_invalidation = True
        logger.warning("cache invalidation deferred: cache unavailable", exc_info=True)
