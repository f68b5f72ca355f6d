"""/api/v1's reads in Django, cached as response JSON, on the data layer ``DATA_LAYER`` names.

``orm`` (the default): the Django ORM (``services``' read functions, the
contract's serialisers, pydantic). ``sql``: the shared hand-written SQL layer,
``finboard.rawsql.reads``, on the psycopg connection underneath Django's own
(``django.db.connection``: autocommit outside ``atomic``, ``TimeZone=UTC``
with ``USE_TZ``, so the bytes are the other backends'). Writes stay on the
ORM either way. With ``DATABASE_REPLICA_URLS`` a miss runs on a replica fit for
this reader (``forum.replicas``), else on the primary. The cache names and parameters are the Flask backend's, so one
generation cache serves every backend.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import connections
from psycopg import Connection
from pydantic import BaseModel

from finboard.contract.pagination import PageQuery
from finboard.contract.posts import PostListQuery
from finboard.core import read_cache_keys
from finboard.rawsql import reads as sql_reads

from . import replicas, services
from .runtime import content_cache, finboard_settings


def _psycopg_connection(name: str) -> Connection:
    """The psycopg connection of Django's connection ``name`` for this request (opened if needed)."""
    connection = connections[name]
    connection.ensure_connection()
    return connection.connection


def _cached(key: tuple[str, str], orm: Callable[[], BaseModel], sql: Callable[[Connection], bytes]) -> bytes:
    """The read through the cache; a miss on a replica fit for this reader, else the primary."""
    if finboard_settings().data_layer == "sql":

        def run(name: str) -> bytes:
            return sql(_psycopg_connection(name))
    else:

        def run(name: str) -> bytes:
            with replicas.reading_from(name):
                return orm().model_dump_json().encode()

    return content_cache().get_or_build(*key, lambda: replicas.read(run))


def posts_json(query: PostListQuery) -> bytes:
    return _cached(
        read_cache_keys.posts(query), lambda: services.list_posts(query), lambda c: sql_reads.posts(c, query)
    )


def post_json(post_id: int) -> bytes:
    """A post with its newest comments; ApiError(404) when missing."""
    return _cached(
        read_cache_keys.post(post_id), lambda: services.get_post(post_id), lambda c: sql_reads.post(c, post_id)
    )


def comments_json(post_id: int, query: PageQuery) -> bytes:
    """Oldest first; ApiError(404) when the post is missing."""
    return _cached(
        read_cache_keys.comments(post_id, query),
        lambda: services.list_comments(post_id, query),
        lambda c: sql_reads.comments(c, post_id, query),
    )


def categories_json() -> bytes:
    return _cached(read_cache_keys.CATEGORIES, services.list_categories, sql_reads.categories)


def category_stats_json() -> bytes:
    return _cached(read_cache_keys.CATEGORY_STATS, services.category_stats_list, sql_reads.category_stats)
