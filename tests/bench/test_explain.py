"""The EXPLAIN appendix: which raw statements it builds, with which parameters, and what a failure becomes."""

from __future__ import annotations

import types
from datetime import UTC, datetime

import pytest

from finboard.bench import explain
from finboard.bench.database import DataFacts, DeepPage
from finboard.bench.terms import Term
from finboard.contract.pagination import Cursor

CURSOR = Cursor.after("new", datetime(2026, 5, 1, 12, 0, tzinfo=UTC), 4242)


def fake_sql(with_cursor: bool = True):
    """A stand-in for finboard.rawsql.statements that records each post_list call."""
    calls = []

    def post_list(*, search, category, author, cashtag, since, until, sort, page, per_page, cursor=None):
        calls.append(dict(search=search, category=category, cashtag=cashtag, sort=sort, page=page, cursor=cursor))
        return f"PAGE {search or category or cashtag or ''}", [per_page + 1], "TOTAL", [], False

    def old_post_list(*, search, category, author, cashtag, since, until, sort, page, per_page):
        return post_list(search=search, category=category, author=author, cashtag=cashtag, since=since,
                         until=until, sort=sort, page=page, per_page=per_page)  # fmt: skip

    module = types.SimpleNamespace(
        post_list=post_list if with_cursor else old_post_list,
        POST_DETAIL="DETAIL %s",
        NEWEST_COMMENTS="COMMENTS %s LIMIT %s",
        CATEGORY_STATS="STATS",
    )
    return module, calls


def facts() -> DataFacts:
    return DataFacts(
        post_ids=[10, 20, 30],
        usernames=["a"],
        categories=["stocks", "crypto"],
        tickers=[("spy", 40), ("BTC", 30)],
        search_terms={
            "common": [Term("common", "hold", 10, 0.3, True)],
            "mid": [Term("mid", "12m", 1, 0.01, True)],
            "rare": [Term("rare", "19x uup", 1, 0.01, True)],
        },
        deep=DeepPage(5000, 2, 20, 19, CURSOR.encode(), 11),
    )


def built(sql_module) -> dict[str, list]:
    return {name: build() for name, build in explain.hot_queries(facts(), sql_module)}


def test_every_hot_query_with_the_scenarios_parameters():
    module, calls = fake_sql()
    statements = built(module)
    assert list(statements) == [
        "list page 1",
        "list by category (stocks)",
        "list by cashtag (SPY)",
        "deep page 2 by cursor",
        "detail (post 20) + its newest comments",
        "search common ('hold')",
        "search mid ('12m')",
        "search rare ('19x uup')",
        "stats",
    ]
    assert [(s.part, s.sql, s.params) for s in statements["list by category (stocks)"]] == [
        ("page", "PAGE stocks", (21,)),
        ("total", "TOTAL", ()),
    ]
    assert [(s.sql, s.params) for s in statements["detail (post 20) + its newest comments"]] == [
        ("DETAIL %s", (20,)),
        ("COMMENTS %s LIMIT %s", (20, 20)),
    ]
    deep = next(c for c in calls if c["cursor"] is not None)
    assert deep["cursor"] == CURSOR and deep["sort"] == "new" and deep["page"] == 1
    assert all(c["sort"] == "new" and c["page"] == 1 for c in calls)


def test_a_post_list_without_a_cursor_argument_is_reported_not_guessed():
    module, _ = fake_sql(with_cursor=False)
    builders = dict(explain.hot_queries(facts(), module))
    with pytest.raises(TypeError, match="no cursor argument"):
        builders["deep page 2 by cursor"]()
    assert builders["list page 1"]()[0].sql == "PAGE "


def test_a_statement_that_fails_becomes_an_entry_with_its_error(monkeypatch):
    module, _ = fake_sql(with_cursor=False)

    class Connection:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def execute(self, sql, params=None):
            if "EXPLAIN" in sql and "STATS" in sql:
                raise explain.psycopg.errors.UndefinedTable("relation category_counters does not exist")
            return types.SimpleNamespace(fetchall=lambda: [("Result  (actual rows=1)",), ("Execution Time: 0.5 ms",)])

    executed = []

    class GenericCursor:  # EXPLAIN EXECUTE of the prepared statement
        def __init__(self, conn):
            self.rows = []

        def execute(self, sql, params=None):
            executed.append((sql, params))
            self.rows = [("Seq Scan  (actual rows=9000)",), ("Execution Time: 41.5 ms",)]

        def fetchall(self):
            return self.rows

    monkeypatch.setattr(explain.psycopg, "connect", lambda *a, **k: Connection())
    monkeypatch.setattr(explain.psycopg, "ClientCursor", GenericCursor)
    entries = explain.explain_all("postgresql://x", facts(), module)
    by_query = {(e["query"], e["part"]): e for e in entries}
    assert by_query[("list page 1", "page")]["execution_ms"] == 0.5
    assert by_query[("list page 1", "page")]["plan"].startswith("Result")
    assert by_query[("list page 1", "page")]["generic_execution_ms"] == 41.5
    assert ("EXPLAIN (ANALYZE, BUFFERS) EXECUTE finboard_bench_explain(%s)", (21,)) in executed
    assert "generic_plan" not in by_query[("list page 1", "total")]  # no parameters: one plan
    assert "no cursor argument" in by_query[("deep page 2 by cursor", None)]["error"]
    assert "category_counters does not exist" in by_query[("stats", "stats")]["error"]


def test_placeholders_become_numbered_for_prepare():
    assert explain.numbered("SELECT a FROM t WHERE b = %s AND c < %s LIMIT %s") == (
        "SELECT a FROM t WHERE b = $1 AND c < $2 LIMIT $3"
    )
