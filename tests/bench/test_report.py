"""The terminal table, the Markdown report, the charts and compare, from a recorded --quick run."""

from __future__ import annotations

import copy
import json

from click.testing import CliRunner

from finboard.bench import charts, compare, report, results
from finboard.bench.cli import bench
from finboard.bench.tables import ERROR_MARK, Aggregate
from tests.bench.helpers import RECORDED_RUN, RECORDED_V1, recorded_run

PNG = b"\x89PNG\r\n\x1a\n"


def measured(run: dict) -> list[dict]:
    return [e for e in run["results"] if e["status"] == "ok"]


def test_recorded_run_is_a_version_2_results_file():
    run = results.load_run(RECORDED_RUN)
    assert run["schema_version"] == 2
    assert {"environment", "command", "results", "rounds", "targets", "sql"} <= set(run)
    entry = measured(run)[0]
    for key in ("backend", "scenario", "concurrency", "repeat", "duration_s", "requests", "successes", "errors",
                "rps", "x_raw", "latency_ms", "rss_mb", "cpu_pct", "startup_s", "sql_per_request", "cache",
                "data_size"):  # fmt: skip
        assert key in entry, key
    assert set(entry["errors"]) == {"status", "connect", "read", "write", "timeout"}
    assert set(entry["latency_ms"]) == {"p50", "p75", "p90", "p99", "p99.9", "max"}
    assert run["settings"]["data_size"] == [300, 1000] == [r["data_size"] for r in run["rounds"]]
    assert {e["data_size"] for e in run["results"]} == {300, 1000}


def test_a_version_1_file_is_read_as_one_round_at_its_size():
    run = results.load_run(RECORDED_V1)
    assert run["schema_version"] == 1 and run["upgraded_from"] == 1
    assert {e["data_size"] for e in run["results"]} == {1000} and run["settings"]["data_size"] == [1000]
    assert run["rounds"] == [{"data_size": 1000, "posts": 1000, "users": 100}]
    text = report.markdown(run)
    assert "## Targets" in text and "### 7. Caching Impact" in text
    rows = compare.compare_runs(run, results.load_run(RECORDED_RUN))
    assert rows and {r.key[4] for r in rows} == {1000}  # compared at the size both have


def test_markdown_has_the_seed_tables_filled_with_measured_numbers():
    run = recorded_run()
    text = report.markdown(run)
    for heading in (
        "## Summary",
        "What the numbers don't show",
        "## Test Environment",
        "### 1. Response Time (milliseconds)",
        "### 2. Throughput (Requests/second)",
        "### 3. Memory Usage",
        "### 4. CPU Utilization",
        "### 5. Docker Image Size and Startup",
        "### 6. Query Efficiency",
        "### 7. Caching Impact",
    ):
        assert heading in text, heading
    agg = Aggregate(run)
    some = next(c for c in agg.cells.values() if c.measured and c.rps.median > 10)
    assert f"{some.rps.median:,.0f}" in text
    assert run["environment"]["cpu_model"] in text
    assert "n/a" in text  # no Docker engine on the recording machine
    assert "Not measured" not in text.split("### 7. Caching Impact")[1].split("##")[0]  # recorded with --cache both
    for backend in run["backends"]:
        assert backend in text


def test_cells_with_more_than_one_percent_errors_are_marked_everywhere(tmp_path):
    run = copy.deepcopy(recorded_run())
    target = next(e for e in measured(run) if e["scenario"] == "list" and e["cache"] == "off")
    target.update(error_rate=0.05, errors_over_1pct=True)
    target["errors"]["status"] = 12
    text = report.markdown(run)
    cell = f"| {target['data_size']:,} | {target['backend']} | list | off | {target['concurrency']} |"
    row = next(line for line in text.splitlines() if line.startswith(cell))
    assert ERROR_MARK in row
    assert ERROR_MARK in report.terminal_table(run)
    pngs = charts.write_charts(run, tmp_path)
    assert all(p.read_bytes().startswith(PNG) for p in pngs)


def test_charts_from_the_recorded_run(tmp_path):
    pngs = charts.write_charts(recorded_run(), tmp_path)
    assert [p.name for p in pngs] == [
        "throughput-300.png", "latency-300.png", "memory-300.png",
        "throughput-1000.png", "latency-1000.png", "memory-1000.png", "size.png",
    ]  # fmt: skip
    for png in pngs:
        assert png.read_bytes().startswith(PNG) and png.stat().st_size > 10_000


def test_every_backend_of_the_matrix_and_its_copies_gets_its_own_colour():
    """Nine backends drew with six colours: flask-orm~aa and fastapi-sql were the same blue."""
    from finboard.registry import registered

    labels = [*registered(), "flask-orm~aa", "flask-orm@granian", "wsgi-raw@HEAD~1", "plugin"]
    colors = charts.backend_colors(labels)
    assert len(set(colors.values())) == len(labels)
    assert charts.ERROR_COLOR not in colors.values()
    assert colors["flask-orm"] == charts.backend_colors(["wsgi-raw", "flask-orm"])["flask-orm"]  # stable across runs


def test_one_size_keeps_the_chart_names_of_version_1(tmp_path):
    pngs = charts.write_charts(results.load_run(RECORDED_V1), tmp_path)
    assert [p.name for p in pngs] == ["throughput.png", "latency.png", "memory.png"]


def test_report_command_writes_markdown_and_charts(tmp_path):
    result = CliRunner().invoke(bench, ["report", str(RECORDED_RUN), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "req/s" in result.output
    md = tmp_path / "quick-run.md"
    assert md.exists() and "![throughput-1000](throughput-1000.png)" in md.read_text()
    assert (tmp_path / "size.png").exists()


def test_report_refuses_another_schema_version(tmp_path):
    other = tmp_path / "v9.json"
    other.write_text(json.dumps({**recorded_run(), "schema_version": 9}))
    result = CliRunner().invoke(bench, ["report", str(other)])
    assert result.exit_code == 1 and "schema_version 9; this FinBoard reads versions 1 and 2" in result.output


def test_compare_flags_a_real_difference_and_not_noise():
    before = recorded_run()
    after = copy.deepcopy(before)
    slower = next(e for e in measured(after) if e["scenario"] == "detail" and e["rps"] > 20)
    noisy = next(e for e in measured(after) if e["scenario"] == "aggregate" and e["rps"] > 20)
    slower["rps"] = round(slower["rps"] * 0.5, 2)  # halved: a real change
    noisy["rps"] = round(noisy["rps"] * 1.02, 2)  # 2 %: noise
    rows = {(r.key, r.metric): r for r in compare.compare_runs(before, after)}
    key = lambda e: (e["backend"], e["scenario"], e["cache"], e["concurrency"], e["data_size"])  # noqa: E731
    assert rows[(key(slower), "rps")].change.significant
    assert rows[(key(slower), "rps")].direction == "worse"
    assert not rows[(key(noisy), "rps")].change.significant
    flagged = [r for r in rows.values() if r.change.significant]
    assert flagged == [rows[(key(slower), "rps")]]


def test_compare_command(tmp_path):
    after = copy.deepcopy(recorded_run())
    for entry in measured(after):
        entry["rps"] = round(entry["rps"] * 2, 2)
    b = tmp_path / "b.json"
    b.write_text(json.dumps(after))
    result = CliRunner().invoke(bench, ["compare", str(RECORDED_RUN), str(b), "--only-changes"])
    assert result.exit_code == 0, result.output
    assert "BETTER" in result.output and "+100.0%" in result.output
    same = CliRunner().invoke(bench, ["compare", str(RECORDED_RUN), str(RECORDED_RUN), "--only-changes"])
    assert "No difference beyond the noise" in same.output


def test_the_recorded_runs_targets_data_and_appendix_come_from_its_own_numbers():
    run = results.load_run(RECORDED_RUN)  # recorded before the data-layer matrix: its "raw" reads as wsgi-raw
    text = report.markdown(run)
    ok = {(e["data_size"], e["backend"], e["scenario"], e["cache"], e["concurrency"]): e for e in measured(run)}
    flask, raw = ok[(1000, "flask", "list", "off", 64)], ok[(1000, "wsgi-raw", "list", "off", 64)]
    assert flask["x_raw"] == round(flask["rps"] / raw["rps"], 3)
    target_1 = text.split("### Target 1: Throughput × ceiling")[1].split("### Target 2")[0]
    assert f"| GET /api/v1/posts (first pages), 1,000 posts | {flask['rps'] / raw['rps']:.2f}×" in target_1
    size = text.split("## Size: 1,000 ÷ 300 posts")[1].split("\n## ")[0]
    small = ok[(300, "flask", "list", "off", 64)]["rps"]
    assert f"{small:,.0f} → {flask['rps']:,.0f} ({flask['rps'] / small:.2f}×)" in size
    data = run["rounds"][-1]
    for terms in data["search_terms"].values():
        for term in terms:
            assert f"| `{term['query']}` | {term['posts']:,} |" in text
    assert f"by the cursor after row {data['deep']['after_row']:,}" in text
    appendix = text.split("## Appendix: EXPLAIN (ANALYZE, BUFFERS) of the hot queries")[1]
    assert "At 1,000 posts" in appendix and "### list page 1 · page" in appendix and "Execution Time" in appendix
    assert [t for t in run["targets"] if t["target"] == 2]  # computed when the run ended, two sizes
