"""The generation cache's entry of each cached /api/v1 read: its name and parameter string.

Every adapter caches the same five reads, and one cache (``core.generation_cache``)
serves them all: the keys must be the same everywhere for a write in one backend to
invalidate, and a build in one to serve, the others. So they are written only here.

Every parameter string starts with ``SCHEMA``, a fingerprint of the cached answers' JSON
schemas: a release that changes what a post looks like (a new field, as ``sentiments``
in migration 0018) reads and writes other entries than the release before it, so neither
serves the other's JSON (which it would refuse: a 500) while both run against one Redis
during a rolling upgrade, nor after it until the next write.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

from finboard.contract.categories import CategoryList, CategoryStatsList
from finboard.contract.comments import CommentPage
from finboard.contract.pagination import PageQuery
from finboard.contract.posts import PostDetail, PostListQuery, PostPage

CacheKey = tuple[str, str]


def _fingerprint(*models) -> str:
    schemas = json.dumps([model.model_json_schema() for model in models], sort_keys=True)
    return hashlib.blake2b(schemas.encode(), digest_size=4).hexdigest()


SCHEMA = _fingerprint(CategoryList, CategoryStatsList, PostPage, PostDetail, CommentPage)

CATEGORIES: CacheKey = ("categories", SCHEMA)
CATEGORY_STATS: CacheKey = ("category-stats", SCHEMA)


def posts(query: PostListQuery) -> CacheKey:
    """A top listing within a period also names the minute: its window moves with the clock."""
    params = f"{SCHEMA}:{query.model_dump_json()}"
    if query.sort == "top" and query.period != "all":
        params += datetime.now(UTC).strftime("@%Y-%m-%dT%H:%M")
    return "posts", params


def post(post_id: int) -> CacheKey:
    return "post", f"{SCHEMA}:{post_id}"


def comments(post_id: int, query: PageQuery) -> CacheKey:
    return "comments", f"{SCHEMA}:{post_id}:{query.model_dump_json()}"
