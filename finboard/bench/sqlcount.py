"""SQL per request, counted by PostgreSQL itself, the same way for every backend.

It exists because "how many queries does this endpoint cost" must not depend
on each framework's own logging. Two methods, the better one when present:

- ``pg_stat_statements`` (needs ``shared_preload_libraries``; checked, never
  assumed): statements executed in the benchmark database, transaction
  control (BEGIN/COMMIT/ROLLBACK) left out.
- ``pg_stat_database`` (always there): committed + rolled-back transactions
  in the benchmark database, and rows read, per request. Transactions are not
  statements: a framework that autocommits each statement (Django) shows one
  per statement, one that wraps a request in a session (SQLAlchemy) one per
  request. A session publishes its counters at most once a second while busy,
  10 s after going idle, or when it ends, so before each reading the counter
  either waits those 10 s ("idle", exact, the default) or ends the server's
  idle sessions with pg_terminate_backend ("end", fast, used by --quick; each
  scenario then also counts the pools reconnecting) — for every backend alike.

Both count a fixed number of requests, sent one at a time, around which the
counters are read from the maintenance database (so reading doesn't count).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import psycopg

from finboard.bench.database import connect
from finboard.bench.resources import CpuMeter, tree

STATEMENTS = "pg_stat_statements"
TRANSACTIONS = "pg_stat_database"
FLUSH_MODES = ("idle", "end")
IDLE_FLUSH_S = 11  # PostgreSQL publishes an idle session's counters after 10 s (PGSTAT_IDLE_INTERVAL)
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "START TRANSACTION", "SAVEPOINT", "RELEASE")


def detect_method(database_dsn: str) -> str:
    """pg_stat_statements when the server preloads it (creating the extension if allowed)."""
    try:
        with connect(database_dsn, autocommit=True) as conn:
            preload = conn.execute("SHOW shared_preload_libraries").fetchone()[0]
            if "pg_stat_statements" not in preload:
                return TRANSACTIONS
            conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            conn.execute("SELECT count(*) FROM pg_stat_statements").fetchone()
            return STATEMENTS
    except psycopg.Error:
        return TRANSACTIONS


class SqlCounter:
    def __init__(self, database_dsn: str, admin_dsn: str, dbname: str, flush_mode: str = "idle"):
        if flush_mode not in FLUSH_MODES:
            raise ValueError(f"flush mode must be one of {FLUSH_MODES}")
        self.flush_mode = flush_mode
        self.database_dsn = database_dsn
        self.admin_dsn = admin_dsn
        self.dbname = dbname
        self.method = detect_method(database_dsn)

    @property
    def unit(self) -> str:
        return "statements" if self.method == STATEMENTS else "transactions"

    # --- pg_stat_database -------------------------------------------------------

    def _database_counters(self) -> tuple[int, int]:
        with connect(self.admin_dsn, autocommit=True) as conn:
            conn.execute("SELECT pg_stat_clear_snapshot()")
            row = conn.execute(
                "SELECT xact_commit + xact_rollback, tup_returned + tup_fetched FROM pg_stat_database "
                "WHERE datname = %s",
                (self.dbname,),
            ).fetchone()
        return (int(row[0]), int(row[1])) if row else (0, 0)

    def _sessions(self) -> set[int]:
        with connect(self.admin_dsn, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", (self.dbname,)
            ).fetchall()
        return {r[0] for r in rows}

    def flush(self, timeout: float = 20) -> None:
        """Make every server session publish its counters: wait 10 s, or end it (pg_terminate_backend).

        Ending: the sessions are idle (requests are sent one at a time and answered);
        the servers' pools check connections before use (pool_pre_ping,
        CONN_HEALTH_CHECKS), so the next request opens a fresh one. Ending a
        session is what makes PostgreSQL publish its counters at once.
        """
        sessions = self._sessions()
        if not sessions:
            return
        if self.flush_mode == "idle":
            time.sleep(IDLE_FLUSH_S)
            return
        with connect(self.admin_dsn, autocommit=True) as conn:
            for pid in sessions:
                conn.execute("SELECT pg_terminate_backend(%s)", (pid,))
        deadline = time.monotonic() + timeout
        while sessions & self._sessions() and time.monotonic() < deadline:
            time.sleep(0.02)

    # --- pg_stat_statements -----------------------------------------------------

    def _reset_statements(self) -> None:
        with connect(self.database_dsn, autocommit=True) as conn:
            conn.execute(
                "SELECT pg_stat_statements_reset(0, "
                "(SELECT oid FROM pg_database WHERE datname = current_database()), 0)"
            )

    def _statement_count(self) -> int:
        with connect(self.database_dsn, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT query, calls FROM pg_stat_statements "
                "WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
            ).fetchall()
        return sum(
            calls
            for query, calls in rows
            if "pg_stat_statements" not in query and not query.strip().upper().startswith(TRANSACTION_CONTROL)
        )

    # --- the scenarios, one after another ---------------------------------------------

    def count_all(self, batches: list[tuple[str, Callable[[], int]]], server_pid: int | None = None):
        """Run each ``send`` (returns how many requests it made) between readings of the counters.

        With pg_stat_database the readings are chained: each flush ends one
        scenario's sessions and starts the next.
        """
        counts: dict[str, dict] = {}
        if self.method == STATEMENTS:
            for name, send in batches:
                self._reset_statements()
                requests = send()
                counts[name] = self._record(self._statement_count() / requests if requests else None, None, requests)
            return counts
        self.flush()
        if server_pid:
            settle(server_pid)
        before = self._database_counters()
        for name, send in batches:
            requests = send()
            self.flush()
            after = self._database_counters()
            if requests:
                counts[name] = self._record(
                    (after[0] - before[0]) / requests, (after[1] - before[1]) / requests, requests
                )
            before = after
        return counts

    def _record(self, per_request: float | None, rows: float | None, requests: int) -> dict:
        return {
            "method": self.method if self.method == STATEMENTS else f"{self.method} ({self.flush_mode} flush)",
            "unit": self.unit,
            "per_request": None if per_request is None else round(per_request, 2),
            "rows_per_request": None if rows is None else round(rows, 1),
            "requests": requests,
        }


def count_scenarios(
    counter: SqlCounter,
    base_url: str,
    requests: dict[str, list],
    *,
    size: int,
    token: str | None,
    server_pid: int | None,
    tick: Callable[[], None] = lambda: None,
    cookie: str | None = None,
) -> dict[str, dict]:
    """``size`` requests of each scenario (in the given order), one at a time, each counted.

    Every record also says how many answers had an unexpected status
    (``failed_requests``): a count over failing requests means little. ``cookie`` is
    the forum session the logged-in page scenarios send; a revalidation request is
    sent without its ETag here (a full page, 200).
    """
    from finboard.bench.client import Client

    failed: dict[str, int] = {}

    def sender(scenario: str) -> Callable[[], int]:
        pool = requests[scenario]
        batch = [pool[i % len(pool)] for i in range(size)]

        def send() -> int:
            with Client(base_url) as client:
                for request in batch:
                    etag = any(name == "If-None-Match" for name, _ in request.headers)
                    expected = 200 if request.revalidate and not etag else request.status
                    if client.send(request, token, cookie).status != expected:
                        failed[scenario] = failed.get(scenario, 0) + 1
                    tick()
            return len(batch)

        return send

    counts = counter.count_all([(s, sender(s)) for s in requests], server_pid)
    return {s: {**record, "failed_requests": failed.get(s, 0)} for s, record in counts.items()}


def settle(server_pid: int, quiet_pct: float = 10.0, timeout: float = 30) -> float:
    """Wait until the server tree is idle: workers booted, or requests left over from a load drained."""
    started = time.monotonic()
    meter = CpuMeter(lambda: tree(server_pid))
    meter.sample()
    quiet, deadline = 0, started + timeout
    while quiet < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
        cpu = meter.sample()
        quiet = quiet + 1 if cpu is not None and cpu < quiet_pct else 0
    return time.monotonic() - started
