"""Newest-first search through ``finboard_search_newest`` (migration 0020): RUM and GIN give the same rows.

Two real PostgreSQL databases with the same posts: one migrated with the rum extension
(the RUM index), one migrated as if it were missing (``FINBOARD_SEARCH_INDEX=gin``, the
branch the migration takes when the package is not installed). On the RUM database both
ways the function can answer are forced (``finboard.search_common_rows``): the RUM sort
and the walk down the time index. Every way must give, page after page (by cursor and by
page number), exactly the ids and order of the plain query ``ORDER BY created_at DESC, id
DESC`` — with many posts sharing a second (the bench seed's timestamps are whole seconds),
ids out of time order, hidden posts, synonyms, phrases, OR and negation. Both the raw SQL
layer and the SQLAlchemy statements (Flask and FastAPI) run; Django's runs in the
conformance suite against the same function.
"""

from __future__ import annotations

import logging
import os
import random
import uuid
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from finboard.contract.pagination import Cursor
from finboard.contract.posts import PostListQuery
from finboard.contract.search_newest import SEARCH_INDEX_SQL
from finboard.contract.search_synonyms import pg_search_tsquery
from finboard.core.read_statements import Listing
from finboard.rawsql import statements as sql
from tests.databases import PG_ADMIN_DSN, migrate, require_postgres

BASE = datetime(2026, 11, 1, tzinfo=UTC)
POSTS = 400
SEARCHES = [
    "alpha",  # half of the posts
    "beta",  # one in seven
    "gamma",  # three posts
    "bitcoin",  # the synonym: posts saying $BTC
    '"alpha beta"',  # a phrase
    "beta or gamma",
    "alpha -beta",
    "nothingmatches",
]
WAYS = {"rum sort": "1e15", "time walk": "0"}  # finboard.search_common_rows forcing each branch
# 400 posts: the planner would read so small a table whole; these make it take the indexes it has.
INDEXES_ONLY = ("SET enable_seqscan = off", "SET enable_bitmapscan = off")


def _words(i: int) -> str:
    words = ["alpha"] if i % 2 == 0 else ["delta"]
    if i % 7 == 0:
        words.append("beta")
    if i in (5, 150, 391):
        words.append("gamma")
    if i % 11 == 0:
        words.append("$BTC")
    return " ".join(words)


def _fill(dsn: str) -> None:
    rnd = random.Random(19)
    seconds = [rnd.randrange(120) for _ in range(POSTS)]  # 400 posts in 120 s: many ties, ids out of order
    with psycopg.connect(dsn) as conn:
        conn.execute(
            "INSERT INTO users (id, username, email, password_hash, created_at) "
            "VALUES (1, 'ann', 'ann@example.com', 'x', %s)",
            (BASE,),
        )
        for i in range(1, POSTS + 1):
            at = BASE + timedelta(seconds=seconds[i - 1])
            conn.execute(
                "INSERT INTO posts (id, author_id, category_id, title, body, cashtags, created_at, updated_at, "
                "hidden_at) VALUES (%s, 1, (SELECT min(id) FROM categories), %s, %s, '', %s, %s, %s)",
                (i, f"Post {i}", _words(i), at, at, at if i % 13 == 0 else None),
            )
        conn.execute("ANALYZE posts")


@pytest.fixture(scope="module")
def databases():
    """{"rum": url, "gin": url}: the same posts, migrated with and without the RUM index."""
    require_postgres()
    names = {kind: f"finboard_rum_{kind}_{os.getpid()}_{uuid.uuid4().hex[:8]}" for kind in ("rum", "gin")}
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as admin:
        for name in names.values():
            admin.execute(f'CREATE DATABASE "{name}"')
    urls = {kind: f"postgresql+psycopg://root@127.0.0.1:5432/{name}" for kind, name in names.items()}
    try:
        for kind, url in urls.items():
            previous = os.environ.pop("FINBOARD_SEARCH_INDEX", None)
            if kind == "gin":
                os.environ["FINBOARD_SEARCH_INDEX"] = "gin"
            try:
                migrate(url)
            finally:
                os.environ.pop("FINBOARD_SEARCH_INDEX", None)
                if previous is not None:
                    os.environ["FINBOARD_SEARCH_INDEX"] = previous
            _fill(_dsn(url))
        yield urls
    finally:
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as admin:
            for name in names.values():
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _dsn(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def _expected(conn, search: str) -> list[int]:
    rows = conn.execute(
        f"SELECT id FROM posts WHERE search_vector @@ {pg_search_tsquery('%s')} AND hidden_at IS NULL "  # nosec B608
        "ORDER BY created_at DESC, id DESC",
        (search,),
    ).fetchall()
    return [row[0] for row in rows]


def _raw_pages(conn, search: str, per_page: int, by_cursor: bool) -> list[int]:
    """Every page of the raw layer's statement, following next cursors or page numbers."""
    seen: list[int] = []
    cursor, page = None, 1
    while True:
        page_sql, params, *_ = sql.post_list(
            search=search, category=None, author=None, cashtag=None, since=None, until=None, sort="new",
            page=page, per_page=per_page, cursor=cursor,
        )  # fmt: skip
        assert "finboard_search_newest" in page_sql
        rows = conn.execute(page_sql, params).fetchall()
        seen += [row[sql.POST.id] for row in rows[:per_page]]
        if len(rows) <= per_page:
            return seen
        last = rows[per_page - 1]
        if by_cursor:
            cursor = Cursor("new", last[sql.POST.created_at], last[sql.POST.id])
        else:
            page += 1


def _orm_pages(session: Session, search: str, per_page: int, by_cursor: bool) -> list[int]:
    """The same through the shared SQLAlchemy statements (the Flask and FastAPI ``orm`` layer)."""
    seen: list[int] = []
    cursor, page = None, 1
    while True:
        query = PostListQuery(search=search, sort="new", per_page=per_page, page=page, cursor=cursor)
        listing = Listing.of(query, "postgresql")
        rows = session.scalars(listing.page, listing.params).all()
        seen += [post.id for post in rows[:per_page]]
        if len(rows) <= per_page:
            return seen
        last = rows[per_page - 1]
        if by_cursor:
            cursor = Cursor("new", last.created_at, last.id).encode()
        else:
            page += 1


def test_the_migration_built_what_it_said(databases):
    for kind, url in databases.items():
        with psycopg.connect(_dsn(url)) as conn:
            assert conn.execute(SEARCH_INDEX_SQL).fetchone()[0] == kind
            has_rum = conn.execute("SELECT to_regclass('ix_posts_search_rum') IS NOT NULL").fetchone()[0]
            assert has_rum is (kind == "rum")
            assert conn.execute("SELECT to_regclass('ix_posts_search_vector') IS NOT NULL").fetchone()[0]


@pytest.mark.parametrize("per_page", [1, 7, 20])
def test_raw_layer_pages_match_the_plain_query_every_way(databases, per_page):
    with psycopg.connect(_dsn(databases["gin"])) as reference:
        expected = {search: _expected(reference, search) for search in SEARCHES}
    assert len(expected["alpha"]) > 150 and len(expected["gamma"]) == 3 and expected["nothingmatches"] == []
    assert set(expected["bitcoin"]) == {i for i in range(11, POSTS + 1, 11) if i % 13}
    ways = [("gin", None)] + [("rum", common) for common in WAYS.values()]
    for kind, common in ways:
        with psycopg.connect(_dsn(databases[kind])) as conn:
            if common is not None:
                conn.execute("SELECT set_config('finboard.search_common_rows', %s, false)", (common,))
            for statement in INDEXES_ONLY if kind == "rum" else ():
                conn.execute(statement)
            scans = _rum_scans(conn) if kind == "rum" else 0
            for search in SEARCHES:
                for by_cursor in (True, False):
                    got = _raw_pages(conn, search, per_page, by_cursor)
                    assert got == expected[search], (kind, common, search, by_cursor)
            if common == WAYS["rum sort"]:  # every page of the RUM branch was an ordered scan of the RUM index
                assert _rum_scans(conn) > scans


def _rum_scans(conn) -> int:
    """Scans of ix_posts_search_rum so far (this session's counts flushed first)."""
    conn.commit()
    conn.execute("SELECT pg_stat_force_next_flush()")
    conn.commit()
    conn.execute("SELECT pg_stat_clear_snapshot()")
    row = conn.execute("SELECT idx_scan FROM pg_stat_user_indexes WHERE indexrelname = 'ix_posts_search_rum'")
    return row.fetchone()[0]


def test_orm_statements_match_the_plain_query_every_way(databases):
    with psycopg.connect(_dsn(databases["gin"])) as reference:
        expected = {search: _expected(reference, search) for search in SEARCHES}
    for kind, commons in (("gin", [None]), ("rum", list(WAYS.values()))):
        engine = create_engine(databases[kind])
        try:
            for common in commons:
                with Session(engine) as session:
                    if common is not None:
                        setting = text("SELECT set_config('finboard.search_common_rows', :v, false)")
                        session.execute(setting, {"v": common})
                        for statement in INDEXES_ONLY:
                            session.execute(text(statement))
                    for search in SEARCHES:
                        for by_cursor in (True, False):
                            assert _orm_pages(session, search, 6, by_cursor) == expected[search], (kind, common, search)
        finally:
            engine.dispose()


def test_the_rum_sort_reads_the_rum_index(databases):
    """The RUM branch's statement is an ordered scan of ix_posts_search_rum (no sort of table rows)."""
    with psycopg.connect(_dsn(databases["rum"])) as conn:
        conn.execute("SET enable_seqscan = off")  # 400 rows: a table this small is otherwise read whole
        plan = "\n".join(
            row[0]
            for row in conn.execute(
                "EXPLAIN SELECT p.id FROM posts p WHERE p.search_vector @@ to_tsquery('english', 'beta') "
                "AND p.hidden_at IS NULL ORDER BY p.created_at <=| '9999-12-31 23:59:59.999999+00'::timestamptz "
                "FETCH FIRST 21 ROWS WITH TIES"
            )
        )
    assert "Index Scan using ix_posts_search_rum" in plan, plan
    assert "Order By: (created_at <=|" in plan, plan
    assert "Sort" not in plan, plan



def test_servers_log_which_index_search_reads(databases):
    """gunicorn's when_ready hook (every backend) says RUM or GIN; nothing on SQLite; a warning when unreachable."""
    from types import SimpleNamespace

    from finboard.rawsql.search_index import log_search_index

    # A logger of the test's own: an app built earlier in this process may have configured logging
    # (propagation, disabled loggers) so that caplog would not see "finboard.search".
    records: list[logging.LogRecord] = []
    logger = logging.getLogger("tests.search_index")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    handler = logging.Handler()
    handler.emit = records.append
    logger.addHandler(handler)
    try:
        for kind, url in databases.items():
            assert log_search_index(SimpleNamespace(is_sqlite=False, psycopg_dsn=_dsn(url)), logger) == kind
        assert log_search_index(SimpleNamespace(is_sqlite=True), logger) is None
        unreachable = SimpleNamespace(is_sqlite=False, psycopg_dsn="postgresql://root@127.0.0.1:1/none")
        assert log_search_index(unreachable, logger) is None
    finally:
        logger.removeHandler(handler)
    messages = [record.getMessage() for record in records]
    assert messages[0] == "search: newest-first search reads the RUM index ix_posts_search_rum in time order"
    assert messages[1].startswith("search: no RUM index (the rum extension was missing")
    assert messages[2].startswith("search: could not tell which search index is built")
    assert len(messages) == 3
