"""Targets 8–11 (issue 19's pages): ratios to the /hello yardstick and the API list, flat with size."""

from __future__ import annotations

import pytest

from finboard.bench import report, targets
from tests.bench.helpers import made_up_run

S, L = 10_000, 1_000_000
RPS = {
    ("hello", "hello", S, "off"): 4000.0,
    ("hello", "hello", S, "on"): 5000.0,
    ("hello", "hello", L, "off"): 4000.0,
    ("flask-orm", "list", S, "off"): 1000.0,
    ("flask-orm", "list", L, "off"): 900.0,
    # 8: cached visitor pages ÷ hello (on): 2500/5000 = 0.5 met; 2000/5000 = 0.4 missed
    ("flask-orm", "page_index", S, "on"): 2500.0,
    ("flask-orm", "page_post", S, "on"): 2000.0,
    ("flask-sql", "page_index", S, "on"): 1000.0,  # context only
    # 9: 304 ÷ hello: 3600/5000 = 0.72 (on), 2000/4000 = 0.5 (off)
    ("flask-orm", "page_revalidate", S, "on"): 3600.0,
    ("flask-orm", "page_revalidate", S, "off"): 2000.0,
    # 10: member pages ÷ list (off): 600/1000 = 0.6 met, 400/1000 = 0.4 missed
    ("flask-orm", "page_index_member", S, "off"): 600.0,
    ("flask-orm", "page_post_member", S, "off"): 400.0,
    # 11: 1M ÷ 10k (off): index 280/400 = 0.7, search_mid 100/400 = 0.25
    ("flask-orm", "page_index", S, "off"): 400.0,
    ("flask-orm", "page_index", L, "off"): 280.0,
    ("flask-orm", "page_search_mid", S, "off"): 400.0,
    ("flask-orm", "page_search_mid", L, "off"): 100.0,
    ("flask-orm", "page_index_member", L, "off"): 540.0,
}


@pytest.fixture
def run():
    return made_up_run(RPS)


def by_label(checks, number):
    return {c.label: c for c in checks if c.target == number}


def test_target_8_divides_each_cached_visitor_page_by_hello(run):
    checks = by_label(targets.evaluate(run), 8)
    index = checks["flask-orm, page_index ÷ /hello, cache on, 10,000 posts"]
    assert index.value == pytest.approx(0.5) and index.met and index.judged
    post = checks["flask-orm, page_post ÷ /hello, cache on, 10,000 posts"]
    assert post.value == pytest.approx(0.4) and post.met is False and post.verdict() == "missed by 20%"
    sql = checks["flask-sql, page_index ÷ /hello, cache on, 10,000 posts"]
    assert sql.value == pytest.approx(0.2) and not sql.judged
    # at 1M no cached page was measured: the cache-off pages are context, saying why
    off = checks["flask-orm, page_index ÷ /hello, cache off, 1,000,000 posts"]
    assert off.value == pytest.approx(0.07) and not off.judged and "no cached page measured" in off.note


def test_target_9_is_the_304_over_hello_in_each_cache_mode(run):
    checks = by_label(targets.evaluate(run), 9)
    assert checks["flask-orm, page_revalidate ÷ /hello, cache on, 10,000 posts"].value == pytest.approx(0.72)
    off = checks["flask-orm, page_revalidate ÷ /hello, cache off, 10,000 posts"]
    assert off.value == pytest.approx(0.5) and off.met is False


def test_target_10_sets_member_pages_against_the_api_list(run):
    checks = by_label(targets.evaluate(run), 10)
    assert checks["flask-orm, page_index_member ÷ list, cache off, 10,000 posts"].value == pytest.approx(0.6)
    post = checks["flask-orm, page_post_member ÷ list, cache off, 10,000 posts"]
    assert post.value == pytest.approx(0.4) and post.met is False
    assert checks["flask-orm, page_index_member ÷ list, cache off, 1,000,000 posts"].value == pytest.approx(0.6)


def test_target_11_is_each_page_at_the_largest_size_over_the_smallest(run):
    checks = by_label(targets.evaluate(run), 11)
    assert checks["flask-orm, page_index: 1,000,000 ÷ 10,000 posts"].value == pytest.approx(0.7)
    assert checks["flask-orm, page_index: 1,000,000 ÷ 10,000 posts"].met
    mid = checks["flask-orm, page_search_mid: 1,000,000 ÷ 10,000 posts"]
    assert mid.value == pytest.approx(0.25) and mid.met is False
    assert checks["flask-orm, page_index_member: 1,000,000 ÷ 10,000 posts"].value == pytest.approx(0.9)


def test_outcomes_and_the_report_show_the_page_targets(run):
    outcome = {o.target.number: o for o in targets.outcomes(targets.evaluate(run))}
    assert (outcome[8].met, outcome[8].judged) == (1, 2) and outcome[8].worst.scenario == "page_post"
    assert (outcome[9].met, outcome[9].judged) == (1, 2)
    assert (outcome[10].met, outcome[10].judged) == (2, 3)
    assert (outcome[11].met, outcome[11].judged) == (2, 3)
    text = report.markdown(run)
    assert "**Cached pages ÷ /hello**" in text and "### Target 11: Pages flat with size" in text
    assert "### 10. Pages against the /hello yardstick" in text
    assert "2,500 (0.50× /hello)" in text and "600 (0.15× /hello), 0.60× list" in text
    terminal = report.terminal_table(run)
    assert "10,000 posts, page_index (cache on): flask-orm 0.50× /hello (5,000 req/s)" in terminal


def test_a_run_without_pages_says_what_the_page_targets_need():
    text = report.markdown(made_up_run({("flask-orm", "list", S, "off"): 1000.0}))
    assert "Needs the page scenarios (page_*; the hello yardstick joins them)" in text
    assert "### 10. Pages against the /hello yardstick" not in text
