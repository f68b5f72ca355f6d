"""Per-cell CIs, paired ratios to raw, the A/A control, where the time goes, and the regression gate."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from finboard.bench import SCHEMA_VERSION, compare, precision, results
from finboard.bench.cli import bench
from tests.bench.helpers import RECORDED_RUN, RECORDED_V1, rounds_run


def test_every_cell_gets_medians_with_cis_and_a_paired_ratio_to_raw():
    run = rounds_run(
        {
            ("wsgi-raw", "list"): [1000, 500, 2000, 1000, 1000],  # the machine's speed swings between rounds
            ("flask-orm", "list"): [800, 400, 1600, 800, 800],  # flask is 0.8 × raw in every round
        }
    )
    cells = {c["backend"]: c for c in run["cells"]}
    flask = cells["flask-orm"]
    assert flask["rps"] == 800 and flask["rps_ci95"][0] <= 800 <= flask["rps_ci95"][1]
    assert flask["rps_ci95"][1] - flask["rps_ci95"][0] > 300  # wide: the rounds differ a lot…
    assert flask["x_raw"] == pytest.approx(0.8) and flask["x_raw_ci95"] == pytest.approx([0.8, 0.8])  # …paired: exact
    assert flask["rounds"] == 5 and flask["pss_mb"] == {"idle": 40.0, "load": 50.0, "peak": 60.0}
    # 1 s of CPU over 8000 requests: 125 µs each
    assert flask["cpu_us_per_request"] == pytest.approx(1e6 / 8000) and flask["cpu_us_per_request_ci95"]
    entry = next(e for e in run["results"] if e["backend"] == "flask-orm")
    assert (
        entry["rps_ci95"] == flask["rps_ci95"] and entry["cpu_us_per_request_ci95"] == flask["cpu_us_per_request_ci95"]
    )
    assert entry["postgres_cpu_us_per_request"] == pytest.approx(1e6 / 4 / (entry["successes"]), abs=0.1)


def test_aa_ratio_is_paired_by_round_and_pooled_over_cells():
    quiet = rounds_run(
        {
            ("flask-orm", "list"): [1000, 500, 2000, 1000, 990],
            ("flask-orm~aa", "list"): [1010, 495, 2010, 990, 1000],
            ("flask-orm", "detail"): [3000, 3100, 2900, 3050, 2950],
            ("flask-orm~aa", "detail"): [3020, 3080, 2910, 3030, 2960],
        },
        aa="flask-orm",
    )
    assert quiet["aa"]["copy"] == "flask-orm~aa" and quiet["aa"]["samples"] == 10
    assert quiet["aa_ratio"] == pytest.approx(1.0, abs=0.01)
    low, high = quiet["aa_ratio_ci95"]
    assert 0.95 <= low <= 1 <= high <= 1.05
    assert quiet["aa"]["too_noisy_to_rank"] is False

    noisy = rounds_run(
        {("flask-orm", "list"): [1000, 1000, 1000, 1000], ("flask-orm~aa", "list"): [900, 1150, 880, 1120]},
        aa="flask-orm",
    )
    assert noisy["aa"]["too_noisy_to_rank"] is True
    # found without being named too (files whose "aa" block is missing)
    assert precision.aa_ratio(noisy["results"])[0] == "flask-orm"


def test_where_the_time_goes_is_raws_cpu_then_what_each_framework_adds():
    run = rounds_run(
        {("wsgi-raw", "detail"): [1000] * 5, ("flask-orm", "detail"): [500] * 5},
        cpu={("wsgi-raw", "detail"): [1.0, 1.1, 0.9, 1.0, 1.05], ("flask-orm", "detail"): [1.5, 1.6, 1.45, 1.5, 1.55]},
    )
    rows = precision.time_breakdown(run["results"], 1000, "detail", "off", 64)
    assert [r["backend"] for r in rows] == ["wsgi-raw", "flask-orm"]
    raw, flask = rows
    assert raw["cpu_us"].value == pytest.approx(100) and raw["adds_us"] is None
    # flask: 1.5 s / 5000 requests = 300 µs; over raw's 100 µs in the same round: +200
    assert flask["cpu_us"].value == pytest.approx(300)
    assert flask["adds_us"].value == pytest.approx(200) and flask["adds_us"].low > 150


def test_ranking_says_who_wins_only_when_the_paired_ci_excludes_one():
    run = rounds_run(
        {
            ("wsgi-raw", "list"): [2000, 1000, 2000, 1000, 2000],
            ("flask-orm", "list"): [1000, 510, 1010, 495, 990],
            ("django", "list"): [1000, 495, 990, 505, 1010],
        }
    )
    (first, r1), (second, r2), (last, none) = precision.ranking(run["results"], 1000, "list", "off", 64)
    assert first == "wsgi-raw" and r1.low > 1.9  # clearly faster than the next one
    assert r2.contains(1.0) and none is None  # flask vs django: no clear winner


# --- the regression gate -------------------------------------------------------------------


def _write(tmp_path, name, run):
    path = tmp_path / name
    path.write_text(json.dumps(run))
    return str(path)


def test_gate_fails_a_scenario_whose_ci_is_wholly_below_and_passes_noise(tmp_path):
    old = rounds_run(
        {("flask-orm", "list"): [1000, 990, 1010, 1005, 995], ("flask-orm", "detail"): [3000, 3050, 2950, 3000, 3010]}
    )
    new = rounds_run(
        {("flask-orm", "list"): [800, 790, 810, 805, 795], ("flask-orm", "detail"): [2980, 3060, 2900, 3030, 2990]}
    )
    verdicts = {v.key[2]: v for v in compare.gate(old, new, 0.95)}
    assert verdicts["list"].failed and "wholly below 0.95" in verdicts["list"].line
    assert not verdicts["detail"].failed and verdicts["detail"].line.startswith("ok")

    cli = CliRunner()
    result = cli.invoke(bench, ["compare", _write(tmp_path, "a.json", old), _write(tmp_path, "b.json", new),
                                "--fail-below", "0.95"])  # fmt: skip
    assert result.exit_code == 1, result.output
    assert "FAIL flask-orm list" in result.output and "ok   flask-orm detail" in result.output
    same = cli.invoke(bench, ["compare", _write(tmp_path, "a.json", old), _write(tmp_path, "c.json", old),
                              "--fail-below", "0.95"])  # fmt: skip
    assert same.exit_code == 0, same.output
    assert "PASS" in same.output
    # without --fail-below, compare only reports
    assert cli.invoke(bench, ["compare", str(tmp_path / "a.json"), str(tmp_path / "b.json")]).exit_code == 0


def test_gate_reads_older_files_and_says_when_nothing_is_comparable(tmp_path):
    cli = CliRunner()
    result = cli.invoke(bench, ["compare", str(RECORDED_RUN), str(RECORDED_RUN), "--fail-below", "0.95"])
    assert result.exit_code == 0, result.output
    assert "PASS" in result.output
    across = cli.invoke(bench, ["compare", str(RECORDED_V1), str(RECORDED_RUN), "--fail-below", "0.95"])
    assert across.exit_code in (0, 1) and "Regression gate" in across.output  # version 1 against version 2
    assert all(
        line.startswith(("  ok", "  FAIL")) for line in across.output.split("Regression gate")[1].splitlines()[1:-1]
    )
    a = _write(tmp_path, "a.json", rounds_run({("flask-orm", "list"): [1000, 1010]}))
    b = _write(tmp_path, "b.json", rounds_run({("django", "list"): [1000, 1010]}))
    nothing = cli.invoke(bench, ["compare", a, b, "--fail-below", "0.95"])
    assert nothing.exit_code != 0 and "no scenario was measured in both runs" in nothing.output


def test_older_files_read_as_version_3():
    run = results.load_run(RECORDED_RUN)
    assert run["upgraded_from"] == 2 and SCHEMA_VERSION == 3
    assert run["aa_ratio"] is None and run["aa"]["too_noisy_to_rank"] is None
    cell = run["cells"][0]
    assert cell["rps"] is not None and cell["rps_ci95"] is not None and cell["cpu_us_per_request"] is None
    assert all("pss_mb" in e and "cpu_us_per_request" in e for e in run["results"])


# --- the report ------------------------------------------------------------------------------


def _three_backends(aa_copy: list[float]) -> dict:
    run = rounds_run(
        {
            ("wsgi-raw", "detail"): [1000, 1100, 900, 1000, 1050],
            ("flask-orm", "detail"): [500, 520, 480, 510, 500],
            ("flask-orm~aa", "detail"): aa_copy,
            ("django", "detail"): [505, 500, 490, 505, 510],
        },
        cpu={
            ("wsgi-raw", "detail"): [1.0, 1.1, 0.9, 1.0, 1.05],
            ("flask-orm", "detail"): [1.5, 1.6, 1.45, 1.5, 1.55],
            ("flask-orm~aa", "detail"): [1.5, 1.6, 1.45, 1.5, 1.55],
            ("django", "detail"): [1.7, 1.6, 1.65, 1.7, 1.75],
        },
        aa="flask-orm",
    )
    run["settings"].update(concurrency=[64], data_size=[1000], workers=2)
    return run


def test_the_report_gives_the_aa_verdict_where_the_time_goes_and_ties():
    from finboard.bench import report

    text = report.markdown(_three_backends([505, 515, 470, 515, 498]))
    assert "A/A control: flask-orm~aa ÷ flask-orm req/s = **0.996 [" in text and "steady enough to rank" in text
    where = text.split("### 8. Where the time goes")[1].split("###")[0]
    # flask-orm adds ~200 µs over its ceiling
    assert "| GET /api/v1/posts/{id} | wsgi-raw | wsgi-raw | 100 µs [100–100] | ceiling |" in where
    assert "| GET /api/v1/posts/{id} | flask-orm | wsgi-raw | 302 µs [" in where and "| 202 µs [" in where
    ranking = text.split("### 9. Who is faster")[1].split("##")[0]
    assert "wsgi-raw faster (wsgi-raw ÷ django = 1.98 [" in ranking and "no clear winner (django ÷ flask" in ranking
    assert "PSS idle / load / peak" in text and "40 / 50 / 60 MB" in text
    headline = text.split("## Summary")[1].split("**What")[0]
    assert "wsgi-raw 1,000 req/s vs django 505, flask-orm 500 — 1.98 [1.84–2.20]× django (paired by round" in headline
    assert "flask-orm~aa" not in headline  # the A/A copy is the noise, not a competitor

    noisy = report.markdown(_three_backends([400, 600, 420, 610, 450]))
    assert "**too noisy to rank**" in noisy and "read these as ties" in noisy
    assert "but the A/A control says the run is too noisy to rank" in noisy.split("## Summary")[1]


def test_the_report_of_an_older_file_says_there_is_no_aa_control():
    from finboard.bench import report

    text = report.markdown(results.load_run(RECORDED_RUN))
    assert "No A/A control in this run" in text
    assert "### 8. Where the time goes" in text and "Not measured" in text.split("### 8. Where the time goes")[1][:400]


# --- the plan: rounds and the A/A copy -------------------------------------------------------


@pytest.mark.parametrize(
    ("backends", "aa", "names"),
    [
        (["wsgi-raw", "fastapi", "flask-orm"], "auto", ["wsgi-raw", "fastapi", "flask-orm", "flask-orm~aa"]),
        (["wsgi-raw", "django", "fastapi"], "auto", ["wsgi-raw", "django", "fastapi", "django~aa"]),
        (["wsgi-raw"], "auto", ["wsgi-raw", "wsgi-raw~aa"]),
        (["flask-orm", "django"], "django", ["flask-orm", "django", "django~aa"]),
        (["flask-orm", "django"], "none", ["flask-orm", "django"]),
    ],
)
def test_the_aa_copy_joins_the_backends_and_every_round(tmp_path, backends, aa, names):
    from finboard.bench.options import RunOptions
    from finboard.bench.runner import BenchRun

    options = RunOptions(backends=backends, scenarios=["list"], aa=aa, out=tmp_path)
    assert options.repeat == 5  # five interleaved rounds by default
    bench_run = BenchRun(options)
    assert bench_run.names() == names
    orders = [bench_run.order(r) for r in range(options.repeat)]
    assert all(sorted(order) == sorted(names) for order in orders)  # every backend once per round…
    assert len({order[0] for order in orders}) == min(len(names), options.repeat)  # …the order rotated


def test_the_progress_line_has_a_bar_and_an_eta():
    import io

    from finboard.bench.progress import Progress

    progress = Progress({"a": 10, "b": 10, "c": 20}, io.StringIO())
    progress.complete("a")
    progress.cell("flask-orm", "off", "list", 64, 1, 5)
    line = progress.stream.getvalue()
    assert line.startswith("[#####...............]  25% flask-orm (cache off) · list · c=64 · round 2/5")
    assert "ETA" in line


def test_a_version_3_file_left_by_a_crash_gets_its_summaries_on_reading(tmp_path):
    run = rounds_run({("flask-orm", "list"): [1000, 990], ("flask-orm~aa", "list"): [1005, 985]}, aa="flask-orm")
    for key in ("cells", "aa_ratio", "aa_ratio_ci95"):
        run.pop(key)
    path = tmp_path / "run.json"
    path.write_text(json.dumps(run))
    again = results.load_run(path)
    assert again["cells"] and again["aa_ratio"] == pytest.approx(1.0, abs=0.01) and "upgraded_from" not in again


def test_primer_entries_stay_out_of_every_statistic():
    """A primer (cold server, first load) is kept in ``primer[]``; cells, CIs and the A/A ratio never see it."""
    samples = {("flask-orm", "list"): [1000, 1010, 990], ("flask-orm~aa", "list"): [1000, 1005, 995]}
    run = rounds_run(samples, aa="flask-orm")
    before = {key: run[key] for key in ("cells", "aa_ratio", "aa_ratio_ci95", "aa")}
    figures = {"duration_s": 2.0, "successes": 200, "rps": 100.0}
    where = {"scenario": "list", "concurrency": 64, "repeat": None, "cache": "off", "data_size": 1000}
    cold = results.result_entry(backend="flask-orm~aa", **where, figures=figures)
    run["primer"] = [{**cold, "primer": True}]
    again = precision.annotate(run)
    assert {key: again[key] for key in before} == before
    assert again["primer"] == [{**cold, "primer": True}] and all(e["repeat"] is not None for e in again["results"])


@pytest.mark.parametrize(
    ("ci", "noisy"),
    [
        ((0.95, 1.05), False),  # the band's edges are inside
        ((0.97, 1.03), False),
        ((0.949, 1.225), True),  # the first default run's control, on a loaded machine
        ((0.9499, 1.01), True),  # below only
        ((0.99, 1.0501), True),  # above only
    ],
)
def test_the_report_marks_the_run_too_noisy_to_rank_exactly_when_the_aa_ci_leaves_the_band(ci, noisy):
    from finboard.bench import report
    from finboard.bench.stats import Estimate, aa_noisy

    run = _three_backends([505, 515, 470, 515, 498])
    summary = precision.aa_summary(run["results"], "flask-orm")
    assert summary["aa"]["too_noisy_to_rank"] is False  # the made-up run itself is quiet
    run.update(aa_ratio=1.0, aa_ratio_ci95=list(ci))
    run["aa"]["too_noisy_to_rank"] = aa_noisy(Estimate(1.0, ci[0], ci[1], 30))
    assert run["aa"]["too_noisy_to_rank"] is noisy
    text = report.markdown(run)
    assert ("**too noisy to rank**" in text) is noisy and ("read these as ties" in text) is noisy
    assert ("steady enough to rank" in text) is not noisy
