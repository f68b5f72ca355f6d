"""``flask seed`` / ``finboard.core.seeding``: derived data, determinism, bulk loading, errors.

Every test with ``app`` runs on SQLite and on PostgreSQL. ``bulk`` forces
PostgreSQL's bulk path (counter triggers off and rebuilt, foreign keys and
secondary indexes set aside and put back, COPY FREEZE) on a few hundred rows,
so it is checked here and not only by a million-row load.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from finboard.contract.cashtags import extract_cashtags
from finboard.contract.limits import TITLE_MAX
from finboard.contract.positions import parse_positions
from finboard.contract.ticker_views import TICKER_SENTIMENTS, overall_sentiment, parse_sentiments
from finboard.core import counters, seeding
from finboard.core.security import verify_password
from finboard.core.seeding import postgres_writer
from finboard.extensions import db
from tests.databases import postgres_database, sqlite_database

ARGS = ["--users", "12", "--posts", "300", "--comments", "900", "--seed", "9", "--anchor", "2026-11-01"]
ANCHOR = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture(params=["rows", "bulk"])
def mode(request, monkeypatch) -> str:
    """'bulk': PostgreSQL takes its bulk path even for a small seed (SQLite has one path)."""
    if request.param == "bulk":
        monkeypatch.setattr(postgres_writer, "BULK_ROWS", 0)
        monkeypatch.setattr(postgres_writer, "REINDEX_ROWS", 1)
    else:
        monkeypatch.setattr(postgres_writer, "BULK_ROWS", 10**9)
    return request.param


def _utc(value) -> str:
    """A timestamp as PostgreSQL (aware) or SQLite (text) returns it, as UTC ISO text."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()


def dump(conn) -> dict[str, list[tuple]]:
    """Every seeded row, ids included (the shared password hash is salted per run: left out)."""
    queries = {
        "users": "SELECT id, username, email, role, token_version, created_at FROM users ORDER BY id",
        "posts": "SELECT id, author_id, category_id, title, body, cashtags, comment_count, created_at, updated_at, "
        "sentiment, positions, sentiments FROM posts ORDER BY id",
        "post_cashtags": "SELECT ticker, post_id, created_at FROM post_cashtags ORDER BY post_id, ticker",
        "comments": "SELECT id, post_id, author_id, body, created_at FROM comments ORDER BY id",
    }
    result = {}
    for table, sql in queries.items():
        result[table] = [
            tuple(_utc(v) if k.endswith("_at") else v for k, v in row._mapping.items())
            for row in conn.execute(text(sql))
        ]
    return result


def schema(conn) -> dict[str, list[tuple]] | None:
    """PostgreSQL's indexes, constraints and triggers (enabled or not) on the seeded tables.

    Foreign keys are compared as constraints: the internal triggers behind them get new names when re-added.
    """
    if conn.dialect.name != "postgresql":
        return None
    tables = "('users', 'posts', 'post_cashtags', 'comments')"
    return {
        "indexes": conn.execute(
            text(f"SELECT tablename, indexname, indexdef FROM pg_indexes WHERE tablename IN {tables} ORDER BY 2")
        ).all(),
        "constraints": conn.execute(
            text(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), convalidated FROM pg_constraint "
                f"WHERE conrelid::regclass::text IN {tables} ORDER BY 2"
            )
        ).all(),
        "triggers": conn.execute(
            text(
                "SELECT tgrelid::regclass::text, tgname, tgenabled FROM pg_trigger "
                f"WHERE tgrelid::regclass::text IN {tables} AND NOT tgisinternal ORDER BY 2"
            )
        ).all(),
    }


def assert_consistent(conn, other_users: int = 0) -> None:
    """Every derived column and counter equals a recomputation from the rows.

    Every user but ``other_users`` (made otherwise) shares the one demo password hash.
    """
    posts = conn.execute(text("SELECT id, title, body, cashtags, comment_count, created_at FROM posts")).all()
    assert posts
    real_counts = dict(conn.execute(text("SELECT post_id, count(*) FROM comments GROUP BY post_id")).all())
    expected_tags = set()
    for post_id, title, body, cashtags, comment_count, created_at in posts:
        tags = extract_cashtags(title, body)
        assert cashtags == " ".join(tags), post_id
        assert tags, post_id
        assert comment_count == real_counts.get(post_id, 0), post_id
        assert len(title) <= TITLE_MAX
        expected_tags |= {(t, post_id, _utc(created_at)) for t in tags}
    views = conn.execute(text("SELECT sentiment, positions, sentiments, cashtags FROM posts")).all()
    with_view = [v for v in views if v[2]]
    if len(views) >= 100:  # proportions only mean something on a real sample
        assert 0.3 < len(with_view) / len(views) < 0.6, "about 45% of seeded posts take a view"
        assert {v[0] for v in with_view} == {"bullish", "bearish", None}
        assert {view for v in with_view for _, view in parse_sentiments(v[2])} == {"bullish", "bearish", "neutral"}
    assert all(not positions for _, positions, sentiments, _ in views if not sentiments)
    for sentiment, positions, sentiments, cashtags in views:
        # the post-level view is what the per-ticker ones add up to (finboard.contract.ticker_views)
        assert sentiment == overall_sentiment(sentiments), (sentiment, sentiments)
        for ticker, position in parse_positions(positions):
            assert ticker in cashtags.split() and position in ("long", "short", "none"), positions
        for ticker, view in parse_sentiments(sentiments):
            assert ticker in cashtags.split() and view in TICKER_SENTIMENTS, sentiments
    stored_tags = conn.execute(text("SELECT ticker, post_id, created_at FROM post_cashtags")).all()
    assert {(t, p, _utc(at)) for t, p, at in stored_tags} == expected_tags
    assert len(stored_tags) == len(expected_tags)

    bad_times = conn.execute(
        text(
            "SELECT count(*) FROM comments c JOIN posts p ON p.id = c.post_id "
            "WHERE c.created_at < p.created_at OR p.updated_at <> p.created_at"
        )
    ).scalar_one()
    assert bad_times == 0

    hashes = conn.execute(
        text("SELECT password_hash, count(*) FROM users GROUP BY password_hash ORDER BY count(*) DESC")
    ).all()
    assert len(hashes) == 1 + other_users and verify_password(hashes[0][0], seeding.DEMO_PASSWORD)

    # Full-text search covers every post: PostgreSQL's generated column, SQLite's FTS5 triggers.
    with_word = conn.execute(text("SELECT count(*) FROM posts WHERE body LIKE '%sanity check%'")).scalar_one()
    if conn.dialect.name == "postgresql":
        assert conn.execute(text("SELECT count(*) FROM posts WHERE search_vector IS NULL")).scalar_one() == 0
        found = "SELECT count(*) FROM posts WHERE search_vector @@ to_tsquery('english', 'sanity')"
    else:
        found = "SELECT count(*) FROM posts_fts WHERE posts_fts MATCH 'sanity'"
    assert conn.execute(text(found)).scalar_one() == with_word

    kept = counters.snapshot(conn)
    try:
        counters.rebuild(conn)
        assert counters.snapshot(conn) == kept
    finally:
        conn.rollback()
    assert kept["category_counters"] and kept["cashtag_counters"] and kept["author_counters"]


# --- through the CLI, on both databases --------------------------------------------------


def test_seed_derives_every_column_and_counter(app, runner, mode):
    with app.app_context(), db.engine.connect() as conn:
        before = schema(conn)
    result = runner.invoke(args=["seed", *ARGS])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Seeded 12 users, 300 posts, 900 comments in ")
    with app.app_context(), db.engine.connect() as conn:
        assert_consistent(conn)
        assert conn.execute(text("SELECT count(*) FROM posts WHERE body LIKE '%sanity check%'")).scalar_one()
        assert schema(conn) == before  # bulk mode put back every index, foreign key and trigger
        rows = dump(conn)
        assert [len(rows[t]) for t in ("users", "posts", "comments")] == [12, 300, 900]
        assert all(c[4] <= ANCHOR.isoformat() for c in rows["comments"])


def test_seed_then_writes_keep_counting(app, runner, make, mode):
    """After a (bulk) seed the triggers are on again and the id sequences are past the seeded ids."""
    assert runner.invoke(args=["seed", *ARGS]).exit_code == 0
    user = make.user("zed_after_seed")
    post = make.post(user, title="After the seed: $ZZZ and $AAPL", body="Still counting $ZZZ.")
    make.comment(post, user)
    assert user == 13 and post == 301
    with app.app_context(), db.engine.connect() as conn:
        assert_consistent(conn, other_users=1)
        assert ("ZZZ", 1) in counters.snapshot(conn)["cashtag_counters"]


def test_seed_on_top_of_existing_data(app, runner, make, mode):
    assert runner.invoke(args=["seed", *ARGS]).exit_code == 0
    result = runner.invoke(args=["seed", "--users", "0", "--posts", "200", "--comments", "500", "--seed", "10"])
    assert result.exit_code == 0, result.output
    with app.app_context(), db.engine.connect() as conn:
        assert_consistent(conn)
        rows = dump(conn)
    assert [len(rows[t]) for t in ("users", "posts", "comments")] == [12, 500, 1400]
    assert [p[0] for p in rows["posts"]] == list(range(1, 501))
    assert {p[1] for p in rows["posts"][300:]} <= {u[0] for u in rows["users"]}


def test_a_clashing_seed_fails_clearly_and_changes_nothing(app, runner, mode):
    assert runner.invoke(args=["seed", *ARGS]).exit_code == 0
    with app.app_context(), db.engine.connect() as conn:
        before, layout, kept = dump(conn), schema(conn), counters.snapshot(conn)
    # More posts than the tables hold: in bulk mode their indexes and foreign keys are set aside first.
    result = runner.invoke(args=["seed", "--users", "12", "--posts", "400", "--comments", "900", "--seed", "9"])
    assert result.exit_code == 1
    assert "seeding clashed with existing rows (was this seed already loaded?); nothing was written" in result.output
    with app.app_context(), db.engine.connect() as conn:
        assert dump(conn) == before
        assert schema(conn) == layout
        assert counters.snapshot(conn) == kept
        assert_consistent(conn)


def test_seed_refuses_comments_without_posts(runner, make):
    result = runner.invoke(args=["seed", "--users", "3", "--posts", "0", "--comments", "5"])
    assert result.exit_code == 2
    assert "Invalid value for '--comments': comments need posts" in result.output
    with make.app.app_context(), db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM users")).scalar_one() == 0
    with pytest.raises(ValueError, match="comments need posts"):
        with make.app.app_context():
            seeding.seed(db.session, users=1, posts=0, comments=1)


@pytest.mark.parametrize("option", ["--users", "--posts", "--comments"])
def test_seed_refuses_negative_counts(runner, option):
    result = runner.invoke(args=["seed", option, "-3"])
    assert result.exit_code == 2 and f"Invalid value for '{option}'" in result.output


def test_users_only_and_if_empty(app, runner, make):
    result = runner.invoke(args=["seed", "--users", "5", "--posts", "0", "--comments", "0"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(args=["seed", "--users", "0", "--posts", "4", "--comments", "6", "--if-empty"]).exit_code == 0
    result = runner.invoke(args=["seed", "--users", "0", "--posts", "4", "--comments", "6", "--if-empty"])
    assert result.output == "Posts already exist: nothing seeded (--if-empty).\n"
    with app.app_context(), db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM posts")).scalar_one() == 4
        assert_consistent(conn)


def test_progress_is_reported_per_phase(runner, mode):
    result = runner.invoke(args=["seed", "--users", "3", "--posts", "20", "--comments", "30", "--progress"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Seeding 3 users, 20 posts, 30 comments (seed 42)..."
    assert any(line.startswith("  posts: 20 rows in ") for line in lines)
    assert any(line.startswith("  comments: 30 rows in ") for line in lines)
    assert lines[-1].startswith("Seeded 3 users, 20 posts, 30 comments in ")


# --- determinism across fresh databases ----------------------------------------------------


def _seed_fresh(url: str, seed: int = 9) -> dict[str, list[tuple]]:
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            seeding.seed(session, users=12, posts=300, comments=900, seed=seed, anchor=ANCHOR)
            session.commit()
        with engine.connect() as conn:
            assert_consistent(conn)
            return dump(conn)
    finally:
        engine.dispose()


def test_same_seed_same_rows_in_fresh_databases(tmp_path, monkeypatch):
    """Two fresh PostgreSQL databases (one bulk-loaded) and a SQLite one hold identical rows."""
    with postgres_database("finboard_seed_a") as url:
        first = _seed_fresh(url)
    monkeypatch.setattr(postgres_writer, "BULK_ROWS", 0)
    monkeypatch.setattr(postgres_writer, "REINDEX_ROWS", 1)
    with postgres_database("finboard_seed_b") as url:
        second = _seed_fresh(url)
    with sqlite_database(tmp_path) as url:
        third = _seed_fresh(url)
        other = create_engine(url)
        with other.begin() as conn:
            for table in ("comments", "post_cashtags", "posts", "users"):
                conn.execute(text(f"DELETE FROM {table}"))
        other.dispose()
        different = _seed_fresh(url, seed=10)
    assert first == second == third
    assert [len(first[t]) for t in ("users", "posts", "comments")] == [12, 300, 900]
    assert different["posts"] != first["posts"]
