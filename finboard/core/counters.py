"""The counter tables: recomputing them from scratch, and checking them.

Triggers (migration 0002) keep ``category_counters``, ``category_authors``,
``author_counters`` and ``cashtag_counters`` right on every write. Two cases
recompute them instead: the migration that creates them (existing rows), and
bulk loads that switch the triggers off for speed (``finboard.core.seeding``).
``rebuild_statements`` is plain SQL that both PostgreSQL and SQLite run.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

COUNTER_TABLES = ("category_counters", "category_authors", "author_counters", "cashtag_counters")


def rebuild_statements(hiding: bool = True) -> list[str]:
    """DELETE and re-INSERT every counter from the rows they count.

    Hidden posts and comments (migration 0004) are not counted; ``hiding=False``
    is for migration 0002, which runs before those columns exist.
    """
    visible = "WHERE hidden_at IS NULL " if hiding else ""
    return [
        *(f"DELETE FROM {table}" for table in COUNTER_TABLES),  # nosec B608 - fixed table names
        "INSERT INTO category_authors (category_id, author_id, post_count) "  # nosec B608 - fixed fragments
        f"SELECT category_id, author_id, count(*) FROM posts {visible}GROUP BY category_id, author_id",
        "INSERT INTO category_counters (category_id, post_count, comment_count, author_count) "  # nosec B608
        "SELECT c.id, coalesce(p.posts, 0), coalesce(p.comments, 0), coalesce(a.authors, 0) FROM categories c "
        "LEFT JOIN (SELECT category_id, count(*) AS posts, sum(comment_count) AS comments "
        f"           FROM posts {visible}GROUP BY category_id) p ON p.category_id = c.id "
        "LEFT JOIN (SELECT category_id, count(*) AS authors FROM category_authors GROUP BY category_id) a "
        "       ON a.category_id = c.id",
        "INSERT INTO author_counters (author_id, post_count, comment_count) "  # nosec B608
        "SELECT u.id, coalesce(p.posts, 0), coalesce(m.comments, 0) FROM users u "
        f"LEFT JOIN (SELECT author_id, count(*) AS posts FROM posts {visible}GROUP BY author_id) p "
        "       ON p.author_id = u.id "
        f"LEFT JOIN (SELECT author_id, count(*) AS comments FROM comments {visible}GROUP BY author_id) m "
        "       ON m.author_id = u.id "
        "WHERE p.posts IS NOT NULL OR m.comments IS NOT NULL",
        "INSERT INTO cashtag_counters (ticker, post_count) SELECT ticker, count(*) FROM post_cashtags GROUP BY ticker",
    ]


# --- SQLite trigger bodies (migrations 0002 and 0004); ROW becomes NEW or OLD -----


_SQLITE_ADD_POST = """
    INSERT OR IGNORE INTO category_counters (category_id) VALUES (ROW.category_id);
    INSERT OR IGNORE INTO author_counters (author_id) VALUES (ROW.author_id);
    INSERT OR IGNORE INTO category_authors (category_id, author_id, post_count)
        VALUES (ROW.category_id, ROW.author_id, 0);
    UPDATE category_authors SET post_count = post_count + 1
        WHERE category_id = ROW.category_id AND author_id = ROW.author_id;
    UPDATE category_counters SET post_count = post_count + 1, comment_count = comment_count + ROW.comment_count,
        author_count = author_count + (SELECT post_count = 1 FROM category_authors
                                       WHERE category_id = ROW.category_id AND author_id = ROW.author_id)
        WHERE category_id = ROW.category_id;
    UPDATE author_counters SET post_count = post_count + 1 WHERE author_id = ROW.author_id;
    """


_SQLITE_REMOVE_POST = """
    UPDATE category_authors SET post_count = post_count - 1
        WHERE category_id = ROW.category_id AND author_id = ROW.author_id;
    UPDATE category_counters SET post_count = post_count - 1, comment_count = comment_count - ROW.comment_count,
        author_count = author_count - (SELECT post_count = 0 FROM category_authors
                                       WHERE category_id = ROW.category_id AND author_id = ROW.author_id)
        WHERE category_id = ROW.category_id;
    DELETE FROM category_authors WHERE category_id = ROW.category_id AND author_id = ROW.author_id AND post_count = 0;
    UPDATE author_counters SET post_count = post_count - 1 WHERE author_id = ROW.author_id;
    """


def sqlite_add_post(row: str) -> str:
    """SQLite trigger statements that count the post in ``row`` (NEW or OLD)."""
    return _SQLITE_ADD_POST.replace("ROW.", f"{row}.")


def sqlite_remove_post(row: str) -> str:
    """SQLite trigger statements that stop counting the post in ``row`` (NEW or OLD)."""
    return _SQLITE_REMOVE_POST.replace("ROW.", f"{row}.")


def rebuild(connection: Connection) -> None:
    """Recompute every counter (inside the caller's transaction)."""
    for statement in rebuild_statements():
        connection.execute(text(statement))


def snapshot(connection: Connection) -> dict[str, set[tuple]]:
    """Every counter row with a non-zero count, for comparing triggers with a rebuild."""
    queries = {
        "category_counters": "SELECT category_id, post_count, comment_count, author_count FROM category_counters "
        "WHERE post_count <> 0 OR comment_count <> 0 OR author_count <> 0",
        "category_authors": "SELECT category_id, author_id, post_count FROM category_authors WHERE post_count <> 0",
        "author_counters": "SELECT author_id, post_count, comment_count FROM author_counters "
        "WHERE post_count <> 0 OR comment_count <> 0",
        "cashtag_counters": "SELECT ticker, post_count FROM cashtag_counters WHERE post_count <> 0",
    }
    return {name: {tuple(row) for row in connection.execute(text(sql))} for name, sql in queries.items()}
