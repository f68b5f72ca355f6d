"""The forum's and the Flask API's reads: the contract's JSON bytes, cached.

Why bytes: the API answers with them as they are (a cache hit is one Redis
round trip and no serialisation at all). The forum's listing and post pages
read their own documents (``page_*_rows``: ``finboard.rawsql.page_rows``, made by
the same statements, read back by ``finboard.posts.rows`` without pydantic), in
the same cache under their own names, so a write retires both at once: the
generation cache every backend uses (``finboard.core.generation_cache``, the
app's instance ``finboard.extensions.cache``). The feeds and the history page
still parse the API's documents into the contract's models (``list_posts``, ``get_post``).

A miss runs on the data layer ``DATA_LAYER`` names (``Settings.data_layer``):

- ``orm`` (the default): Flask-SQLAlchemy's session, through
  ``finboard.core.orm_reads`` (the shared statement builders, ORM objects,
  the contract's serialisers and pydantic) — the idiomatic Flask app, on
  PostgreSQL or SQLite;
- ``sql``: the ``wsgi-raw`` ceiling's own read code (``finboard.rawsql.reads``:
  hand-written SQL, orjson) on the psycopg connection underneath a connection
  borrowed from the app's one SQLAlchemy pool, so the benchmark's fraction of
  raw measures what Flask alone adds. PostgreSQL only: the app refuses to start
  with it on SQLite (``finboard.settings.require_postgres_for_sql``).

Writes, logins and the forms stay on the Flask-SQLAlchemy session either way.

With read replicas (``DATABASE_REPLICA_URLS``, ``finboard.replicas``) a miss runs on a
replica when one is fit for this reader, and on the primary otherwise.

Within a request one read connection (or the request's session) serves every
read (a page reads the post, its comments and the categories) and goes back to
the pool when the request ends (``close_read_connection``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from weakref import WeakKeyDictionary

from flask import current_app, g, has_request_context
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from finboard.contract.categories import CategoryList, CategoryStatsList
from finboard.contract.pagination import PageQuery
from finboard.contract.posts import PostListQuery, PostPage, PostPublic
from finboard.core import orm_reads, read_cache_keys
from finboard.extensions import cache, db
from finboard.rawsql import page_rows
from finboard.rawsql import reads as sql_reads
from finboard.replicas import READ_ERRORS, bind_key, replica_set

_readers: WeakKeyDictionary[Engine, Engine] = WeakKeyDictionary()  # the engine, in autocommit
NO_POST = b""  # cached marker: the post page's post does not exist


class _Connection:
    """A checked-out read connection and how to give it back."""

    def __init__(self, source, connection, release: Callable[[], None]):
        self.source = source  # orm_reads (on a Session) or sql_reads (on a psycopg connection)
        self.connection = connection
        self.release = release


def _release_nothing() -> None:
    """The session is Flask-SQLAlchemy's: it goes back when the app context ends."""


def _open() -> _Connection:
    """The request's reader on the configured data layer.

    ``orm``: Flask-SQLAlchemy's session. ``sql``: an autocommit connection from
    the app's one pool (Flask-SQLAlchemy's engine) — the ORM, the health check
    and these reads share that pool, so a worker holds at most DB_POOL_SIZE
    connections — and the psycopg connection underneath it.
    """
    if current_app.config["FINBOARD_SETTINGS"].data_layer == "orm":
        return _Connection(orm_reads, db.session, _release_nothing)
    engine = db.engine
    reader = _readers.get(engine)
    if reader is None:
        reader = _readers[engine] = engine.execution_options(isolation_level="AUTOCOMMIT")
    connection = reader.connect()
    return _Connection(sql_reads, connection.connection.driver_connection, connection.close)


def _on_replica(run: Callable, index: int) -> bytes:
    """``run`` on replica ``index``: a session or connection of its own, returned at once."""
    engine = db.engines[bind_key(index)]
    if current_app.config["FINBOARD_SETTINGS"].data_layer == "orm":
        with Session(engine) as session:
            return run(orm_reads, session)
    reader = _readers.get(engine)
    if reader is None:
        reader = _readers[engine] = engine.execution_options(isolation_level="AUTOCOMMIT")
    with reader.connect() as connection:
        return run(sql_reads, connection.connection.driver_connection)


def _read(run: Callable) -> Callable[[], bytes]:
    """A cache-miss builder: ``run(source, connection)`` on a replica (``finboard.replicas``) or
    this request's read connection on the primary."""

    def on_primary() -> bytes:
        if not has_request_context():
            opened = _open()
            try:
                return run(opened.source, opened.connection)
            finally:
                opened.release()
        opened = g.get("read_connection")
        if opened is None:
            opened = g.read_connection = _open()
        return run(opened.source, opened.connection)

    def build() -> bytes:
        replicas = replica_set()
        if replicas is None:
            return on_primary()
        return replicas.read(lambda index: on_primary() if index is None else _on_replica(run, index), READ_ERRORS)

    return build


def close_read_connection(_error: BaseException | None = None) -> None:
    """Teardown: give the request's read connection back to its pool."""
    opened = g.pop("read_connection", None)
    if opened is not None:
        opened.release()


# --- JSON (the API) ---------------------------------------------------------------


def posts_json(query: PostListQuery) -> bytes:
    return cache.get_or_build(*read_cache_keys.posts(query), _read(lambda src, conn: src.posts(conn, query)))


def post_json(post_id: int) -> bytes:
    """A post with its newest comments; ApiError(404) when missing."""
    return cache.get_or_build(*read_cache_keys.post(post_id), _read(lambda src, conn: src.post(conn, post_id)))


def comments_json(post_id: int, query: PageQuery) -> bytes:
    """Oldest first; ApiError(404) when the post is missing."""
    key = read_cache_keys.comments(post_id, query)
    return cache.get_or_build(*key, _read(lambda src, conn: src.comments(conn, post_id, query)))


def categories_json() -> bytes:
    return cache.get_or_build(*read_cache_keys.CATEGORIES, _read(lambda src, conn: src.categories(conn)))


def category_stats_json() -> bytes:
    return cache.get_or_build(*read_cache_keys.CATEGORY_STATS, _read(lambda src, conn: src.category_stats(conn)))


# --- the pages' rows (finboard.rawsql.page_rows; read back by finboard.posts.rows) ----------


def page_posts_rows(query: PostListQuery) -> bytes:
    """A listing page's rows: the API's statements and key parameters, the pages' own document."""
    params = read_cache_keys.posts(query)[1]
    build = _read(lambda src, conn: src.page_posts(conn, query))
    return cache.get_or_build("page-posts", f"{page_rows.VERSION}:{params}", build)


def page_detail_rows(post_id: int, query: PageQuery) -> bytes:
    """The post page's post and a page of its comments as one document, ``[post, comments]``, so a
    built page costs one cache round trip, not two; ``b""`` when the post is missing or hidden."""
    params = read_cache_keys.comments(post_id, query)[1]

    def run(src, conn) -> bytes:
        post = src.page_post(conn, post_id)
        return post and b"[" + post + b"," + src.page_comments(conn, post_id, query) + b"]"

    return cache.get_or_build("page-detail", f"{page_rows.VERSION}:{params}", _read(run))


# --- models (the feeds, the history page) -------------------------------------------


def list_posts(query: PostListQuery) -> PostPage:
    return PostPage.model_validate_json(posts_json(query))


def get_post(post_id: int) -> PostPublic | None:
    """The post alone (one statement), for the forum page that pages its own comments."""
    build = _read(lambda src, conn: src.post_alone(conn, post_id) or NO_POST)
    document = cache.get_or_build("post-page", str(post_id), build)
    return None if document == NO_POST else PostPublic.model_validate_json(document)


CATEGORIES_TTL_SECONDS = 60.0
_categories: WeakKeyDictionary[Engine, tuple[float, CategoryList]] = WeakKeyDictionary()


def list_categories() -> CategoryList:
    """The categories, kept by each worker for a minute.

    Every page shows them in its navigation; they change only with a migration
    (no page or endpoint edits them), so a database read per page is waste.
    """
    engine = db.engine
    now = time.monotonic()
    kept = _categories.get(engine)
    if kept is None or now - kept[0] > CATEGORIES_TTL_SECONDS:
        kept = _categories[engine] = (now, CategoryList.model_validate_json(categories_json()))
    return kept[1]


def category_stats_list() -> CategoryStatsList:
    return CategoryStatsList.model_validate_json(category_stats_json())
