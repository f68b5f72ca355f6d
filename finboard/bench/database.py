"""The benchmark's PostgreSQL data: a throwaway database, migrated and seeded.

It exists so every backend is measured on the same rows: one database created
for the run (or the one given with ``--database``), migrated with alembic like
every FinBoard database, seeded deterministically (``finboard.core.seeding``),
and put back after each write scenario (rows above the seeded maximum ids are
deleted). It also reads the facts the scenarios are generated from — ids,
usernames, categories — so request lists are spread across the real data.
"""

from __future__ import annotations

import math
import os
import uuid
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from finboard.settings import PROJECT_ROOT, load_settings, normalize_database_url

SEED = 42
# The seeded data's newest moment: fixed, so every run measures the same rows (``flask seed``
# anchors the demo to now instead). The date the seed used before it had an anchor option.
SEED_ANCHOR = datetime(2026, 11, 1, tzinfo=UTC)


class DatabaseError(RuntimeError):
    """PostgreSQL can't be used for the benchmark; the message says why and what to do."""


# The deep-page scenario: this page of DEEP_PER_PAGE posts (newest first), reached by cursor.
DEEP_PAGE = 5000
DEEP_PER_PAGE = 20
SAMPLE_POSTS = 20_000  # posts read for the request lists (spread evenly over all of them)
POPULAR_TICKERS = 8


@dataclass(frozen=True)
class DeepPage:
    """Where the deep-page scenario reads: page ``page`` of ``per_page``, after the row at ``after_row``.

    ``cursor`` is ``Cursor.after("new", created_at, id).encode()`` of the last row of the page before
    (None when the data has a single page); ``first_id`` is the id the page must start with;
    ``previous_cursor`` is the cursor of the page before (None from page 2 down: that page is numbered),
    so the page scenario can check that the deep page is really its "Older" link.
    """

    requested_page: int
    page: int
    per_page: int
    after_row: int | None  # 0-based offset in ORDER BY created_at DESC, id DESC
    cursor: str | None
    first_id: int | None
    previous_cursor: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class DataFacts:
    """What the scenarios need to know about the seeded data (ordered, deterministic)."""

    post_ids: list[int]  # every post, or an even sample of SAMPLE_POSTS of them, in id order
    usernames: list[str]
    categories: list[str]
    # One (title, category slug, author username) per id of post_ids, for search/joins.
    posts: list[tuple[str, str, str]] = field(default_factory=list)
    max_ids: dict[str, int] = field(default_factory=dict)
    total_posts: int | None = None  # all posts (post_ids may be a sample); None: len(post_ids)
    tickers: list[tuple[str, int]] = field(default_factory=list)  # the most used cashtags, (ticker, posts)
    search_terms: dict[str, list] = field(default_factory=dict)  # band -> [finboard.bench.terms.Term]
    deep: DeepPage | None = None
    comments: int | None = None

    @property
    def post_count(self) -> int:
        return self.total_posts if self.total_posts is not None else len(self.post_ids)

    def as_dict(self) -> dict:
        """What the results file records about the data of a round."""
        return {
            "posts": self.post_count,
            "users": len(self.usernames),
            "comments": self.comments,
            "categories": list(self.categories),
            "tickers": [{"ticker": t, "posts": n} for t, n in self.tickers],
            "search_terms": {band: [t.as_dict() for t in terms] for band, terms in self.search_terms.items()},
            "deep": self.deep.as_dict() if self.deep else None,
        }


def libpq_dsn(url: str) -> str:
    """A SQLAlchemy URL (postgresql+psycopg://…) as a libpq DSN for psycopg."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def check_postgres_url(url: str) -> str:
    """Normalise a ``--database`` URL; only PostgreSQL is accepted."""
    try:
        normalized = normalize_database_url(url)
    except Exception as exc:  # noqa: BLE001 - any parse failure is a bad option
        raise DatabaseError(f"not a database URL: {url!r} ({exc})") from exc
    if not normalized.startswith("postgresql"):
        raise DatabaseError("the benchmark needs PostgreSQL (postgresql://user@host:port/name), not SQLite")
    return normalized


def is_local(url: str) -> bool:
    return (make_url(url).host or "localhost") in ("127.0.0.1", "localhost", "::1", "")


def connect(dsn: str, **kwargs) -> psycopg.Connection:
    try:
        return psycopg.connect(dsn, connect_timeout=5, **kwargs)
    except psycopg.OperationalError as exc:
        where = make_url(dsn).render_as_string(hide_password=True)
        raise DatabaseError(
            f"PostgreSQL is not reachable at {where}: {str(exc).strip()}. Start it (e.g. "
            "`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`) or pass --database URL."
        ) from exc


def admin_dsn_for(url: str) -> str:
    """The maintenance database on the same server as ``url`` (for pg_stat_* and CREATE/DROP)."""
    return make_url(libpq_dsn(url)).set(database="postgres").render_as_string(hide_password=False)


def default_admin_dsn() -> str:
    """The superuser connection that creates throwaway databases (FINBOARD_BENCH_PG_ADMIN)."""
    return load_settings(require_secret=False).bench_pg_admin


@contextmanager
def throwaway_database(admin_dsn: str | None = None, prefix: str = "finboard_bench"):
    """Create a uniquely named database, yield its SQLAlchemy URL, drop it afterwards."""
    admin_dsn = admin_dsn or default_admin_dsn()
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(admin_dsn).set(drivername="postgresql+psycopg", database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        drop_database(admin_dsn, name)


def drop_database(admin_dsn: str, name: str) -> None:
    try:
        with connect(admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except (DatabaseError, psycopg.Error):
        pass  # best effort: the run's own result matters more than the cleanup


def migrate(url: str) -> None:
    """``alembic upgrade head`` on ``url`` — the only DDL FinBoard runs."""
    from alembic import command
    from alembic.config import Config

    config = Config(str(PROJECT_ROOT / "migrations" / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(config, "head")


def proportions(posts: int) -> tuple[int, int]:
    """Users and comments for ``posts`` posts, in the proportions of ``flask seed``."""
    return max(10, posts // 10), posts * 3


def seed_if_empty(url: str, posts: int) -> bool:
    """Seed ``posts`` posts (with proportional users/comments) unless posts exist; True if seeded."""
    from sqlalchemy import create_engine, func, select
    from sqlalchemy.orm import Session

    from finboard.core.models import Post
    from finboard.core.seeding import seed

    engine = create_engine(url)
    try:
        with Session(engine) as session:
            if session.scalar(select(func.count()).select_from(Post)):
                return False
            users, comments = proportions(posts)
            seed(session, users=users, posts=posts, comments=comments, seed=SEED, anchor=SEED_ANCHOR)
            session.commit()
    finally:
        engine.dispose()
    with connect(libpq_dsn(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return True


def deep_page(conn: psycopg.Connection, total: int, requested: int = DEEP_PAGE, per_page: int = DEEP_PER_PAGE):
    """The deep page's cursor: the sort key of the last row of the page before (one OFFSET query, once)."""
    from finboard.contract.pagination import Cursor

    page = max(1, min(requested, math.ceil(total / per_page)))
    if page == 1:
        first = conn.execute("SELECT id FROM posts ORDER BY created_at DESC, id DESC LIMIT 1").fetchone()
        return DeepPage(requested, 1, per_page, None, None, first[0] if first else None)
    after = (page - 1) * per_page - 1
    rows = conn.execute(
        "SELECT created_at, id FROM posts ORDER BY created_at DESC, id DESC OFFSET %s LIMIT 2", (after,)
    ).fetchall()
    created_at, ident = rows[0]
    token = Cursor.after("new", created_at, ident).encode()
    previous = None
    if page > 2:  # the page before is itself reached by cursor: the last row of the page before it
        row = conn.execute(
            "SELECT created_at, id FROM posts ORDER BY created_at DESC, id DESC OFFSET %s LIMIT 1", (after - per_page,)
        ).fetchone()
        previous = Cursor.after("new", row[0], row[1]).encode()
    return DeepPage(requested, page, per_page, after, token, rows[1][1] if len(rows) > 1 else None, previous)


def read_facts(url: str, terms: bool = True) -> DataFacts:
    """The facts of the seeded data: a sample of posts, users, categories, popular tickers, search terms, deep page."""
    from finboard.bench.terms import pick_terms

    with connect(libpq_dsn(url)) as conn:
        total = conn.execute("SELECT count(*) FROM posts").fetchone()[0]
        if not total:
            raise DatabaseError("the database has no posts to benchmark: seed it or leave out --database")
        step = max(1, math.ceil(total / SAMPLE_POSTS))
        rows = conn.execute(
            "SELECT p.id, p.title, c.slug, u.username FROM "
            "(SELECT id FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM posts) s WHERE (n - 1) %% %s = 0) k "
            "JOIN posts p ON p.id = k.id JOIN categories c ON c.id = p.category_id "
            "JOIN users u ON u.id = p.author_id ORDER BY p.id",
            (step,),
        ).fetchall()
        usernames = [r[0] for r in conn.execute("SELECT username FROM users ORDER BY id")]
        categories = [r[0] for r in conn.execute("SELECT slug FROM categories ORDER BY position, id")]
        tickers = conn.execute(
            "SELECT ticker, count(*) FROM post_cashtags GROUP BY ticker ORDER BY count(*) DESC, ticker LIMIT %s",
            (POPULAR_TICKERS,),
        ).fetchall()
        comments = conn.execute("SELECT count(*) FROM comments").fetchone()[0]
        max_ids = {
            table: conn.execute(
                sql.SQL("SELECT coalesce(max(id), 0) FROM {}").format(sql.Identifier(table))
            ).fetchone()[0]
            for table in ("posts", "comments", "users")
        }
        deep = deep_page(conn, total)
        search_terms = pick_terms(conn, total) if terms else {}
    return DataFacts(
        post_ids=[r[0] for r in rows],
        usernames=usernames,
        categories=categories,
        posts=[(r[1], r[2], r[3]) for r in rows],
        max_ids=max_ids,
        total_posts=total,
        tickers=[(t, int(n)) for t, n in tickers],
        search_terms=search_terms,
        deep=deep,
        comments=comments,
    )


def reset_writes(url: str, max_ids: dict[str, int]) -> int:
    """Delete what the write scenarios added (ids above the seeded maximum); rows removed."""
    with connect(libpq_dsn(url), autocommit=True) as conn:
        removed = conn.execute("DELETE FROM comments WHERE id > %s", (max_ids["comments"],)).rowcount
        removed += conn.execute("DELETE FROM posts WHERE id > %s", (max_ids["posts"],)).rowcount
        if removed:
            conn.execute("VACUUM ANALYZE posts, post_cashtags, comments")
    return removed


def server_version(url: str) -> str | None:
    try:
        with connect(libpq_dsn(url)) as conn:
            return conn.execute("SHOW server_version").fetchone()[0]
    except (DatabaseError, psycopg.Error):
        return None
