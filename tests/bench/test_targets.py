"""The targets, computed from a run's own numbers: ratios, thresholds, verdicts, and where they show."""

from __future__ import annotations

import pytest

from finboard.bench import report, results, targets
from tests.bench.helpers import made_up_run

S, L = 10_000, 1_000_000
RPS = {
    # target 1 at 1M: flask list exactly 0.8 × raw, detail 0.6 ×, search 0.9 ×, stats 0.4 ×
    ("wsgi-raw", "list", L, "off"): 1000.0,
    ("flask-orm", "list", L, "off"): 800.0,
    ("fastapi", "list", L, "off"): 500.0,
    ("asgi-raw", "list", L, "off"): 625.0,  # FastAPI's own ceiling (ASGI): 500 ÷ 625 = 0.8, not ÷ wsgi-raw's 1000
    ("wsgi-raw", "detail", L, "off"): 1000.0,
    ("flask-orm", "detail", L, "off"): 600.0,
    ("wsgi-raw", "search", L, "off"): 1000.0,
    ("flask-orm", "search", L, "off"): 900.0,
    ("wsgi-raw", "aggregate", L, "off"): 1000.0,
    ("flask-orm", "aggregate", L, "off"): 400.0,
    # the small size: target 2 divides by these
    ("wsgi-raw", "list", S, "off"): 1000.0,
    ("flask-orm", "list", S, "off"): 1000.0,
    ("fastapi", "list", S, "off"): 1000.0,
    ("wsgi-raw", "detail", S, "off"): 1000.0,
    ("flask-orm", "detail", S, "off"): 1000.0,
    # target 3: deep ÷ list
    ("flask-orm", "deep", L, "off"): 720.0,
    ("wsgi-raw", "deep", L, "off"): 500.0,
    # target 4: cache on ÷ off (raw has no cache)
    ("flask-orm", "list", L, "on"): 3000.0,
    ("flask-orm", "detail", L, "on"): 1200.0,
    ("wsgi-raw", "list", L, "on"): 1000.0,
    # target 5: pages ÷ list
    ("flask-orm", "pages", L, "off"): 300.0,
}


@pytest.fixture
def run():
    return made_up_run(
        RPS, rss={"flask-orm": 240.0, "wsgi-raw": 200.0, "fastapi": 300.0}, startup={"flask-orm": 1.4, "wsgi-raw": 0.4}
    )


def by_label(checks):
    return {c.label: c for c in checks}


def test_target_1_is_each_backends_throughput_over_raws_judged_for_flask(run):
    checks = by_label(c for c in targets.evaluate(run) if c.target == 1)
    assert checks["flask-orm ÷ wsgi-raw, list, 1,000,000 posts"].value == pytest.approx(0.8)
    assert checks["flask-orm ÷ wsgi-raw, list, 1,000,000 posts"].met  # the threshold itself is met
    detail = checks["flask-orm ÷ wsgi-raw, detail, 1,000,000 posts"]
    assert (detail.value, detail.met, detail.margin) == (pytest.approx(0.6), False, pytest.approx(-0.25))
    assert detail.verdict() == "missed by 25%" and detail.mark() == "❌"
    fastapi = checks["fastapi ÷ asgi-raw, list, 1,000,000 posts"]
    assert fastapi.value == pytest.approx(0.8) and not fastapi.judged and fastapi.verdict() == "(context)"
    assert checks["flask-orm ÷ wsgi-raw, list, 10,000 posts"].value == pytest.approx(1.0)


def test_target_2_divides_the_largest_size_by_the_smallest_for_every_backend(run):
    checks = by_label(c for c in targets.evaluate(run) if c.target == 2)
    assert checks["flask-orm, list: 1,000,000 ÷ 10,000 posts"].value == pytest.approx(0.8)
    assert checks["flask-orm, detail: 1,000,000 ÷ 10,000 posts"].value == pytest.approx(0.6)
    assert not checks["flask-orm, detail: 1,000,000 ÷ 10,000 posts"].met
    assert checks["wsgi-raw, list: 1,000,000 ÷ 10,000 posts"].judged  # every backend should stay flat
    assert checks["fastapi, list: 1,000,000 ÷ 10,000 posts"].value == pytest.approx(0.5)


def test_targets_3_to_5(run):
    checks = by_label(targets.evaluate(run))
    deep = checks["flask-orm, deep ÷ list, 1,000,000 posts"]
    assert deep.value == pytest.approx(0.9) and deep.met and deep.note == "page 5,000"
    assert checks["wsgi-raw, deep ÷ list, 1,000,000 posts"].value == pytest.approx(0.5)
    assert checks["flask-orm, list, cache on ÷ off, 1,000,000 posts"].value == pytest.approx(3.75)
    assert checks["flask-orm, detail, cache on ÷ off, 1,000,000 posts"].value == pytest.approx(2.0)
    raw_cache = checks["wsgi-raw, list, cache on ÷ off, 1,000,000 posts"]
    assert not raw_cache.judged and raw_cache.note == "a ceiling has no cache"
    pages = checks["flask-orm, pages ÷ list, 1,000,000 posts"]
    assert pages.value == pytest.approx(0.375) and pages.margin == pytest.approx(-0.25)


def test_target_6_is_rss_over_raws_and_startup_under_a_second(run):
    checks = by_label(c for c in targets.evaluate(run) if c.target == 6)
    rss = checks["flask-orm ÷ wsgi-raw, idle RSS, 1,000,000 posts"]
    assert rss.value == pytest.approx(1.2) and rss.met and rss.op == "<="
    assert rss.note == "240 MB vs 200 MB; under load 1.20×"
    assert not checks["fastapi ÷ asgi-raw, idle RSS, 1,000,000 posts"].judged
    startup = checks["flask-orm startup to first 200, 1,000,000 posts"]
    assert (startup.value, startup.met, startup.threshold_text()) == (1.4, False, "< 1 s")
    assert startup.margin == pytest.approx(-0.4) and startup.value_text() == "1.40 s"
    assert checks["wsgi-raw startup to first 200, 10,000 posts"].value == 0.4


def test_outcomes_count_judged_checks_and_name_the_worst(run):
    outcome = {o.target.number: o for o in targets.outcomes(targets.evaluate(run))}
    # flask at 1M: list 0.8 ✓, detail 0.6 ✗, search 0.9 ✓, stats 0.4 ✗; at 10k: list ✓, detail ✓
    assert (outcome[1].met, outcome[1].judged) == (4, 6)
    assert outcome[1].worst.label == "flask-orm ÷ wsgi-raw, aggregate, 1,000,000 posts"
    assert outcome[4].text() == "1 of 2 met"
    assert (outcome[5].met, outcome[5].judged) == (0, 1)


def test_the_targets_concurrency_is_64_when_measured_else_the_highest():
    assert targets.concurrency(targets.Aggregate(made_up_run(RPS))) == 64
    assert targets.concurrency(targets.Aggregate(made_up_run(RPS, concurrency=16))) == 16


def test_x_raw_is_in_every_result_and_next_to_every_throughput_figure(run):
    entries = {(e["backend"], e["scenario"], e["data_size"], e["cache"]): e for e in run["results"]}
    assert entries[("flask-orm", "detail", L, "off")]["x_raw"] == 0.6
    assert entries[("wsgi-raw", "detail", L, "off")]["x_raw"] == 1.0
    assert entries[("flask-orm", "pages", L, "off")]["x_raw"] is None  # raw serves no pages
    text = report.markdown(run)
    assert "600 (0.60× wsgi-raw)" in text  # the throughput table
    assert "| 1,000,000 | flask-orm | detail | off | 64 | 600 | 0.60 |" in text  # every cell


def test_report_opens_with_the_targets_and_has_the_size_table(run):
    text = report.markdown(run)
    assert text.index("## Targets") < text.index("## Test Environment") < text.index("## Performance Results")
    assert "| 1 | **Throughput × ceiling**" in text and "4 of 6 met" in text
    assert "flask-orm ÷ wsgi-raw, aggregate, 1,000,000 posts: 0.40× — missed by 50%" in text
    assert "| GET /api/v1/posts/{id}, 1,000,000 posts | 0.60× ❌ |" in text
    assert "## Performance Results at 10,000 posts" in text and "## Performance Results at 1,000,000 posts" in text
    size = text.split("## Size: 1,000,000 ÷ 10,000 posts")[1].split("\n## ")[0]
    assert (
        "| GET /api/v1/posts (first pages) ◆ | 1,000 → 1,000 (1.00×) | 1,000 → 800 (0.80×) | 1,000 → 500 (0.50×) |"
        in size
    )
    assert "| common | `hold` | 250,000 | 25.00% | yes |" in text  # the Data section's search terms
    assert "Not recorded" in text.split("## Appendix: EXPLAIN")[1]


def test_the_explain_appendix_shows_each_statement_and_its_plan(run):
    run["rounds"][-1]["explain"] = [
        {"query": "list page 1", "part": "page", "sql": "SELECT 1 LIMIT %s", "params": ["21"], "error": None,
         "plan": "Limit (actual rows=21)\nExecution Time: 0.172 ms", "execution_ms": 0.172,
         "generic_plan": "Limit (actual rows=9000)", "generic_execution_ms": 41.5},
        {"query": "stats", "part": None, "sql": None, "params": [], "error": "AttributeError: CATEGORY_STATS"},
    ]  # fmt: skip
    appendix = report.markdown(run).split("## Appendix: EXPLAIN (ANALYZE, BUFFERS) of the hot queries")[1]
    assert "At 1,000,000 posts" in appendix
    assert "| list page 1 | page | 0.17 ms | 41.50 ms |" in appendix and "| stats | — | error | — |" in appendix
    assert "### list page 1 · page" in appendix and "```sql\nSELECT 1 LIMIT %s\n```" in appendix
    assert "Parameters: `21`" in appendix and "Custom plan:\n\n```\nLimit (actual rows=21)" in appendix
    assert "Generic plan:\n\n```\nLimit (actual rows=9000)" in appendix
    assert "Could not explain: AttributeError: CATEGORY_STATS" in appendix


def test_targets_are_in_the_results_file_as_plain_json(run):
    [first] = [
        c for c in targets.as_json(targets.evaluate(run)) if c["label"].startswith("flask-orm ÷ wsgi-raw, detail, 1,0")
    ]
    assert first == {
        "target": 1, "label": "flask-orm ÷ wsgi-raw, detail, 1,000,000 posts", "backend": "flask-orm",
        "scenario": "detail",
        "data_size": L, "value": 0.6, "threshold": 0.8, "op": ">=", "unit": "×", "judged": True, "met": False,
        "margin": -0.25, "note": "",
    }  # fmt: skip
    assert results.with_x_raw(run["results"]) == run["results"]  # idempotent
