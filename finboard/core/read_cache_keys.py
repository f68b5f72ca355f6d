"""The generation cache's entry of each cached /api/v1 read: its name and parameter string.

Every adapter caches the same five reads, and one cache (``core.generation_cache``)
serves them all: the keys must be the same everywhere for a write in one backend to
invalidate, and a build in one to serve, the others. So they are written only here.
"""

from __future__ import annotations

from datetime import UTC, datetime

from finboard.contract.pagination import PageQuery
from finboard.contract.posts import PostListQuery

CacheKey = tuple[str, str]

CATEGORIES: CacheKey = ("categories", "")
CATEGORY_STATS: CacheKey = ("category-stats", "")


def posts(query: PostListQuery) -> CacheKey:
    """A top listing within a period also names the minute: its window moves with the clock."""
    params = query.model_dump_json()
    if query.sort == "top" and query.period != "all":
        params += datetime.now(UTC).strftime("@%Y-%m-%dT%H:%M")
    return "posts", params


def post(post_id: int) -> CacheKey:
    return "post", str(post_id)


def comments(post_id: int, query: PageQuery) -> CacheKey:
    return "comments", f"{post_id}:{query.model_dump_json()}"
