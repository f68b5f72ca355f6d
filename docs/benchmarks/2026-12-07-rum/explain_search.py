"""EXPLAIN (ANALYZE, BUFFERS) of newest-first search at 1,000,000 posts, before and after migration 0020.

    python3 docs/benchmarks/2026-12-07-rum/explain_search.py seed      # once: create, migrate, seed as the bench does
    python3 docs/benchmarks/2026-12-07-rum/explain_search.py explain   # write before-*.txt, after-*.txt, timings.md
    python3 docs/benchmarks/2026-12-07-rum/explain_search.py threshold # threshold.md: RUM sort vs time walk by term
    python3 docs/benchmarks/2026-12-07-rum/explain_search.py drop

The data is the bench's (``finboard.bench.database.seed_if_empty``: 1,000,000 posts, 100,000
users, 3,000,000 comments, seed 42, anchored at 2026-11-01), in its own database
(``FINBOARD_RUM_DB``, default ``finboard_rum_1m``). "Before" is the page statement main ran
(the plain query: ``search_vector @@ … ORDER BY created_at DESC, id DESC LIMIT 21``) with the
RUM index dropped inside a transaction that is rolled back, so the planner sees what it saw
before 0019. "After" is the raw layer's statement now (``finboard.rawsql.statements.post_list``);
auto_explain shows the statement ``finboard_search_newest`` ran inside, with its buffers.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from finboard.bench.database import migrate, seed_if_empty  # noqa: E402
from finboard.contract.pagination import Cursor  # noqa: E402
from finboard.contract.search_synonyms import pg_search_tsquery  # noqa: E402
from finboard.rawsql import statements as sql  # noqa: E402

OUT = Path(__file__).resolve().parent
DB = __import__("os").environ.get("FINBOARD_RUM_DB", "finboard_rum_1m")
ADMIN = "postgresql://root@127.0.0.1:5432/postgres"
DSN = f"postgresql://root@127.0.0.1:5432/{DB}"
URL = f"postgresql+psycopg://root@127.0.0.1:5432/{DB}"
PER_PAGE = 20
RUNS = 15  # timed runs per statement, fewer when they pass TIME_BOX seconds (at least 3)
TIME_BOX = 10.0

BEFORE = (
    f"SELECT {sql.POST_COLUMNS} FROM {sql.POST_FROM} WHERE p.hidden_at IS NULL "  # nosec B608 - fixed text
    f"AND p.search_vector @@ {pg_search_tsquery('%s')} ORDER BY p.created_at DESC, p.id DESC LIMIT %s"
)


def seed() -> None:
    with psycopg.connect(ADMIN, autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DB,)).fetchone():
            admin.execute(f'CREATE DATABASE "{DB}"')
    migrate(URL)
    started = time.monotonic()
    seeded = seed_if_empty(URL, 1_000_000)
    print(f"seeded: {seeded} in {time.monotonic() - started:.0f} s")


def drop() -> None:
    with psycopg.connect(ADMIN, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')


NOTICES: list[str] = []


def _explain(conn, statement: str, params: list) -> str:
    NOTICES.clear()
    rows = conn.execute(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {statement}", params).fetchall()
    text = "\n".join(r[0] for r in rows)
    nested = [n for n in NOTICES if "plan:" in n and "Function Scan" not in n]
    if nested:
        text += "\n\n-- inside finboard_search_newest (auto_explain):\n" + "\n\n".join(nested)
    return text


def _time(conn, statement: str, params: list) -> float:
    """Median wall time in ms, after one untimed run (the pages it reads are then cached for both)."""
    conn.execute(statement, params).fetchall()
    times: list[float] = []
    while len(times) < RUNS and (len(times) < 3 or sum(times) < TIME_BOX * 1000):
        started = time.perf_counter()
        conn.execute(statement, params).fetchall()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _pages(conn, search: str) -> list[tuple[str, str, list, str, list]]:
    """(label, before-statement, its params, after-statement, its params): page 1, and the page after
    the 200th match reached by cursor (the keyset condition main used)."""
    pages = []
    query = conn.execute(f"SELECT {pg_search_tsquery('%s')}::text", (search,)).fetchone()[0]  # nosec B608
    at = conn.execute(  # the tsquery as a value the planner sees (not main's InitPlan)
        "SELECT created_at, id FROM posts WHERE search_vector @@ %s::tsquery "
        "AND hidden_at IS NULL ORDER BY created_at DESC, id DESC OFFSET 199 LIMIT 1",
        (query,),
    ).fetchone()
    for label, cursor in (("page1", None), ("after200", Cursor("new", *at) if at else None)):
        if label != "page1" and cursor is None:
            continue  # fewer than 200 matches: page 1 is all there is
        after, after_params, *_ = sql.post_list(
            search=search, category=None, author=None, cashtag=None, since=None, until=None, sort="new",
            page=1, per_page=PER_PAGE, cursor=cursor,
        )  # fmt: skip
        before, before_params = BEFORE, [search, PER_PAGE + 1]
        if cursor is not None:
            before = BEFORE.replace(
                " ORDER BY", " AND p.created_at <= %s AND (p.created_at < %s OR p.id < %s) ORDER BY"
            )
            before_params = [search, cursor.created_at, cursor.created_at, cursor.id, PER_PAGE + 1]
        pages.append((label, before, before_params, after, after_params))
    return pages


def explain() -> None:
    """The bench's own term picks (``finboard.bench.terms``), each band's three, page 1 and after the 200th."""
    from finboard.bench.terms import pick_terms

    lines = [
        "| band | ?search= | matches | page | before: ms (median) | after: ms | before: buffers | after: buffers |",
        "|---|---|---|---|---|---|---|---|",
    ]
    with psycopg.connect(DSN, autocommit=True) as timing, psycopg.connect(DSN, autocommit=True) as conn:
        terms = pick_terms(timing, timing.execute("SELECT count(*) FROM posts").fetchone()[0])
        conn.add_notice_handler(lambda diag: NOTICES.append(diag.message_primary or ""))
        conn.execute("LOAD 'auto_explain'")
        for setting in ("log_analyze", "log_buffers", "log_nested_statements", "log_timing"):
            conn.execute(f"SET auto_explain.{setting} = on")
        conn.execute("SET auto_explain.log_min_duration = 0")
        for band, picked in terms.items():
            for term in picked:
                search, matches = term.query, term.posts
                for label, before_sql, before_params, after_sql, after_params in _pages(timing, search):
                    before_ms, before = _before(timing, conn, before_sql, before_params)
                    after_ms = _time(timing, after_sql, after_params)
                    conn.execute("SET client_min_messages = log")
                    after = _explain(conn, after_sql, after_params)
                    conn.execute("SET client_min_messages = warning")
                    name = f"{band}-{search.replace(' ', '_')}-{label}"
                    head = f"-- {search!r}: {matches:,} posts match (ts_stat)\n"
                    (OUT / f"before-{name}.txt").write_text(f"{head}{before_sql}\n\n{before}\n")
                    (OUT / f"after-{name}.txt").write_text(f"{head}{after_sql}\n\n{after}\n")
                    lines.append(
                        f"| {band} | `{search}` | {matches:,} | {label} | {before_ms:.2f} | {after_ms:.2f} | "
                        f"{_buffers(before)} | {_buffers(after)} |"
                    )
                    print(lines[-1], flush=True)
    (OUT / "timings.md").write_text("\n".join(lines) + "\n")


def _before(timing, conn, statement: str, params: list) -> tuple[float, str]:
    """Main's statement with the RUM index gone (dropped in a transaction each connection rolls back)."""
    for c in (timing, conn):
        c.execute("SET client_min_messages = warning")
        c.execute("BEGIN")
        c.execute("SET LOCAL lock_timeout = '5s'")
    try:
        timing.execute("DROP INDEX ix_posts_search_rum")
        ms = _time(timing, statement, params)
    finally:
        timing.execute("ROLLBACK")
    try:
        conn.execute("DROP INDEX ix_posts_search_rum")
        conn.execute("SET client_min_messages = log")
        plan = _explain(conn, statement, params)
    finally:
        conn.execute("ROLLBACK")
        conn.execute("SET client_min_messages = warning")
    return ms, plan


def _buffers(plan: str) -> str:
    """The top node's Buffers line (the whole statement, the function's inner statement included)."""
    for line in plan.splitlines():
        if "Buffers:" in line:
            return line.strip().removeprefix("Buffers: ")
    return "?"


# Terms of this data from 6,000 to 250,000 matching posts (ts_stat), around where the two branches cross.
THRESHOLD_TERMS = ["39", "25", "mo", "wmt", "sinc", "row", "interest", "holder", "nvda", "advic"]


def threshold() -> None:
    """Each branch of finboard_search_newest forced (finboard.search_common_rows), and the function's own pick."""
    lines = [
        "| ?search= | matches | RUM sort, ms | time walk, ms | the function's pick, ms |",
        "|---|---|---|---|---|",
    ]
    call = "SELECT count(*) FROM finboard_search_newest(websearch_to_tsquery('english', %s), NULL, NULL, 21)"
    with psycopg.connect(DSN, autocommit=True) as conn:
        for word in THRESHOLD_TERMS:
            ms = []
            for common in ("1e15", "0", ""):
                conn.execute("SELECT set_config('finboard.search_common_rows', %s, false)", (common,))
                ms.append(_time(conn, call, [word]))
            matches = conn.execute(
                "SELECT count(*) FROM posts WHERE search_vector @@ websearch_to_tsquery('english', %s)", (word,)
            ).fetchone()[0]
            lines.append(f"| `{word}` | {matches:,} | {ms[0]:.2f} | {ms[1]:.2f} | {ms[2]:.2f} |")
            print(lines[-1], flush=True)
    (OUT / "threshold.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    {"seed": seed, "explain": explain, "threshold": threshold, "drop": drop}[sys.argv[1]]()
