"""The options of ``flask bench run`` added for issue 14: --server, --baseline, the budgets, --quick.

Bad options must be a clear click error (exit 2) before anything runs; the
default and --quick plans must fit their budgets (20 minutes, 60 seconds) by
the plan's own estimate, and --duration auto must pick the longest cells that do.
"""

from __future__ import annotations

import subprocess
from dataclasses import replace

import pytest
from click.testing import CliRunner

from finboard.bench import baseline, budget, cli_run
from finboard.bench import options as opts
from finboard.bench import steps as plan_module
from finboard.bench.cli import bench
from finboard.bench.plan import plan_cells
from finboard.bench.rotation import round_order, slot
from finboard.bench.runner import BenchRun
from finboard.bench.scenarios import SCENARIOS
from finboard.registry import registered
from finboard.settings import PROJECT_ROOT


@pytest.fixture
def executed(monkeypatch):
    seen = []
    monkeypatch.setattr(cli_run, "execute", seen.append)
    return seen


def run(*args: str):
    return CliRunner().invoke(bench, ["run", *args])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--server", "hypercorn"], "'hypercorn' is not one of 'default', 'granian'"),
        (["--baseline", "no-such-rev-xyz"], "unknown revision 'no-such-rev-xyz'"),
        (["--baseline", "--quick"], "is not a git revision"),
        (["--baseline", "HEAD", "--target", "http://127.0.0.1:9"], "--baseline and --server are for servers"),
        (["--server", "granian", "--target", "http://127.0.0.1:9"], "--baseline and --server are for servers"),
        (["--backends", "flask,nope"], "unknown backend(s) nope"),
        (["--repeat", "0"], "0 is not in the range 1<=x<=100"),
        (["--duration", "-5"], "not a duration like 60, 60s, 2m or auto"),
        (["--warmup", "-1"], "not a duration like 60, 60s or 2m"),
        (["--duration", "0"], "must be at least 1s"),
    ],
)
def test_bad_options_exit_2_before_anything_runs(executed, args, message):
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert executed == []


def test_server_and_baseline_reach_the_run(executed):
    assert run("--server", "granian", "--baseline", "HEAD").exit_code == 0
    assert run().exit_code == 0
    assert (executed[0].server, executed[0].baseline) == ("granian", "HEAD")
    assert (executed[1].server, executed[1].baseline) == ("default", None)


def test_default_and_quick_profiles(executed):
    assert run().exit_code == 0
    assert run("--quick").exit_code == 0
    assert run("--quick", "--scenarios", "all", "--duration", "3").exit_code == 0
    default, quick, widened = executed
    assert default.duration_s is None and default.repeat == 5 and default.concurrency == [64]
    assert default.scenarios == list(opts.DEFAULT_SCENARIOS) and default.sql_flush == "end"
    assert quick.scenarios == ["list", "detail"] and quick.aa == "none" and quick.duration_s == 1
    assert (default.primer_s, quick.primer_s) == (2, 0)  # the default run primes every server; --quick can't afford it
    assert default.backends == list(registered()) and quick.backends == list(opts.QUICK["backends"])
    assert set(quick.backends) < set(default.backends)  # --quick: a subset of the matrix, to fit its minute
    assert widened.scenarios == list(SCENARIOS) and widened.duration_s == 3  # explicit options win


def _plan(options: opts.RunOptions):
    """The plan the runner makes for the built-in backends (with the A/A copy when the options want one)."""
    runner = BenchRun(options)
    runner.backends = {n: b for n, b in registered().items() if n in options.backends}
    return plan_cells(options, runner.order, runner.applicable)


def test_the_default_plan_fits_20_minutes_and_quick_fits_a_minute():
    names = list(registered())
    default = opts.RunOptions(backends=names, scenarios=list(opts.DEFAULT_SCENARIOS))
    plan = _plan(default)
    fitted = replace(default, duration_s=budget.fit_duration(plan, default))
    assert budget.estimate_s(plan, fitted) <= budget.DEFAULT_BUDGET_S
    assert fitted.duration_s >= budget.AUTO_SHORTEST_S
    # the primer pass is in the estimate: every backend × scenario × cache mode once, before round 1
    unprimed = budget.estimate_s(plan, replace(fitted, primer_s=0))
    primers = len({(k.backend, k.scenario, k.cache) for k in plan})
    each = fitted.primer_s + plan_module.CELL_OVERHEAD_S + plan_module.SCENARIO_OVERHEAD_S  # load, then its drain
    assert fitted.primer_s == 2 and budget.estimate_s(plan, fitted) - unprimed == pytest.approx(primers * each)
    # one second longer would not fit (or it is already the longest)
    longer = replace(fitted, duration_s=fitted.duration_s + 1)
    assert fitted.duration_s == budget.AUTO_LONGEST_S or budget.estimate_s(plan, longer) > budget.DEFAULT_BUDGET_S
    assert {k.backend for k in plan} == {*names, "flask-orm~aa"} and {k.repeat for k in plan} == set(range(5))
    assert {k.cache for k in plan} == {"off", "on"}

    values = {k: list(v) if isinstance(v, tuple) else v for k, v in opts.QUICK.items()}
    quick = opts.RunOptions(**{**values, "quick": True})
    quick_plan = _plan(quick)
    line, warning = budget.describe(quick_plan, quick)
    assert warning is None and budget.estimate_s(quick_plan, quick) <= budget.QUICK_BUDGET_S
    assert line.startswith(f"Plan: {len(quick_plan)} cells ({len(opts.QUICK['backends'])} backends × 2 scenarios")


def test_the_plan_runs_each_cache_mode_in_rounds_and_the_aa_copy_with_cache_off_only():
    options = opts.RunOptions(backends=["flask-orm", "wsgi-raw"], scenarios=["list", "detail"], repeat=3)
    plan = _plan(options)
    caches = [k.cache for k in plan]
    assert caches == sorted(caches, key=lambda c: c != "off")  # every cache-off round before the cache-on ones
    for cache in ("off", "on"):
        repeats = [k.repeat for k in plan if k.cache == cache]
        assert repeats == sorted(repeats) and set(repeats) == {0, 1, 2}  # interleaved rounds within a mode
        scenarios = options.scenarios_for_cache(cache)
        for repeat in range(3):  # scenario-major: each scenario's cells of every backend back to back…
            in_round = [k for k in plan if (k.cache, k.repeat) == (cache, repeat)]
            assert [k.scenario for k in in_round] == sorted((k.scenario for k in in_round), key=scenarios.index)
            for index, scenario in enumerate(scenarios):  # …in the balanced order of its slot (finboard.bench.rotation)
                turns = [k.backend for k in in_round if k.scenario == scenario]
                units = [["flask-orm"], ["flask-orm~aa"], ["wsgi-raw"]]
                expected = round_order(units, slot(repeat, index, len(scenarios)))
                assert turns == [b for b in expected if cache == "off" or not b.endswith("~aa")]


def test_the_estimate_starts_each_server_once_per_cache_mode_and_counts_rate_cells():
    options = opts.RunOptions(backends=["wsgi-raw"], scenarios=["list"], cache="off", aa="none", duration_s=2, repeat=1)
    one, three = (_plan(replace(options, repeat=n)) for n in (1, 3))
    per_round = options.duration_s + plan_module.CELL_OVERHEAD_S + plan_module.SCENARIO_OVERHEAD_S
    # two more rounds add their cells and drains, and no server start
    assert budget.estimate_s(three, replace(options, repeat=3)) - budget.estimate_s(one, options) == pytest.approx(
        2 * per_round
    )
    rated = replace(options, rate=[100.0, 200.0])
    extra = budget.estimate_s(one, rated) - budget.estimate_s(one, options)
    assert extra == pytest.approx(2 * (options.duration_s + plan_module.OPEN_LOOP_OVERHEAD_S))


def test_a_plan_over_budget_is_said_with_a_warning():
    options = opts.RunOptions(backends=list(registered()), scenarios=list(SCENARIOS), duration_s=60, repeat=5)
    line, warning = budget.describe(_plan(options), options)
    assert "60s cells" in line and warning and "over the 20:00 budget of a default run" in warning
    assert budget.fit_duration(_plan(options), options) == budget.AUTO_SHORTEST_S  # nothing fits: the shortest


def test_granian_labels_every_backend_and_the_aa_copy():
    runner = BenchRun(opts.RunOptions(backends=["flask", "raw"], scenarios=["list"], server="granian"))
    assert runner.names() == ["flask@granian", "raw@granian", "flask@granian~aa"]


def test_baseline_copies_sit_next_to_their_backend():
    options = opts.RunOptions(backends=["flask", "raw"], scenarios=["list"], baseline="HEAD~1", aa="none")
    runner = BenchRun(options)
    assert runner.names() == ["flask", "flask@HEAD~1", "raw", "raw@HEAD~1"]
    assert runner.units() == [["flask", "flask@HEAD~1"], ["raw", "raw@HEAD~1"]]
    assert runner.order(1) == ["raw@HEAD~1", "raw", "flask@HEAD~1", "flask"]  # pairs stay adjacent, swapped


def test_baseline_labels_hold_no_path_separator():
    assert baseline.label("flask", "origin/main") == "flask@origin-main"
    assert baseline.label("flask@granian", "v1.2^") == "flask@granian@v1.2^"


def test_resolve_gives_the_commit_and_refuses_what_is_not_one():
    head = subprocess.run(["git", "-C", str(PROJECT_ROOT), "rev-parse", "HEAD"], capture_output=True, text=True)
    assert baseline.resolve("HEAD") == head.stdout.strip()
    with pytest.raises(baseline.BaselineError, match="unknown revision 'HEAD:README.md'"):
        baseline.resolve("HEAD:README.md")  # a file, not a commit


def test_the_worktree_holds_rev_and_is_removed_afterwards():
    commit = baseline.resolve("HEAD")
    with baseline.worktree(commit) as tree:
        assert (tree / "finboard" / "bench" / "cli.py").is_file()
        inside = subprocess.run(["git", "-C", str(tree), "rev-parse", "HEAD"], capture_output=True, text=True)
        assert inside.stdout.strip() == commit
    assert not tree.exists() and not tree.parent.exists()
    listed = subprocess.run(["git", "-C", str(PROJECT_ROOT), "worktree", "list"], capture_output=True, text=True)
    assert str(tree) not in listed.stdout


def _entry(backend, scenario, repeat, rps, cpu):
    return {"backend": backend, "scenario": scenario, "repeat": repeat, "rps": rps, "cpu_us_per_request": cpu,
            "status": "ok", "data_size": 1000, "cache": "off", "concurrency": 64}  # fmt: skip


def test_ratios_are_after_over_before_paired_by_round():
    entries = [_entry("flask", "list", r, after, 100) for r, after in enumerate([1100, 1210, 990])]
    entries += [_entry("flask@HEAD", "list", r, before, 125) for r, before in enumerate([1000, 1100, 900])]
    entries += [_entry("raw", "list", 0, 5000, 50)]  # no baseline copy of raw measured: no ratio
    ratio = next(r for r in baseline.ratios(entries, {"flask": "flask@HEAD"}) if r["backend"] == "flask")
    assert ratio["backend"] == "flask" and ratio["baseline"] == "flask@HEAD" and ratio["rounds"] == 3
    assert ratio["rps_ratio"] == pytest.approx(1.1) and ratio["rps_ratio_ci95"] == [1.1, 1.1]
    assert ratio["cpu_ratio"] == pytest.approx(0.8)
    assert baseline.verdict(ratio) == "faster"
    assert baseline.verdict({"rps_ratio_ci95": [0.97, 1.04]}) == "no clear change"
    assert baseline.verdict({"rps_ratio_ci95": [0.8, 0.9]}) == "slower"
    assert baseline.verdict({"rps_ratio_ci95": None}) == "not measured"
    assert baseline.verdict({"rps_ratio_ci95": [1.2, 1.2], "rounds": 1}) == "one round: no CI"
    raw = [r for r in baseline.ratios(entries, {"raw": "raw@HEAD"}) if r["backend"] == "raw"]
    assert raw[0]["rps_ratio"] is None and raw[0]["rounds"] == 0


def test_process_cwd_reads_where_a_process_runs(tmp_path):
    process = subprocess.Popen(["sleep", "5"], cwd=tmp_path)
    try:
        assert baseline.process_cwd(process.pid) == str(tmp_path)
    finally:
        process.kill()
        process.wait()
    assert baseline.process_cwd(None) is None


def test_on_a_terminal_the_progress_is_a_rich_bar_updated_per_cell():
    import io

    from finboard.bench.progress import Progress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Terminal()
    progress = Progress({"a": 10, "b": 10, "c": 20}, stream)
    progress.complete("a")
    progress.cell("flask@granian", "off", "list", 64, 1, 5)
    progress.message("raw: failed to start: [boom]")
    progress.close()
    out = stream.getvalue()
    assert "━" in out and " 25%" in out  # rich's bar, a quarter of the planned seconds done
    assert "flask@granian (cache off)" in out and "25% · ETA " in out
    assert "raw: failed to start: [boom]\n" in out  # printed as is, above the bar


def test_serve_refuses_an_unknown_server_before_starting_anything():
    result = CliRunner().invoke(bench, ["serve", "flask", "--server", "hypercorn"])
    assert result.exit_code == 2 and "'hypercorn' is not one of 'default', 'granian'" in result.output


def test_the_bar_counts_each_step_under_its_own_key_when_its_work_is_over():
    """Open-loop cells, primers and SQL counts have steps of their own: the bar moves while they run."""
    import io

    from finboard.bench.progress import Progress
    from finboard.bench.steps import PrimerKey, Step, planned_steps

    options = opts.RunOptions(backends=["flask-orm", "wsgi-raw"], scenarios=["list"], cache="off", aa="none",
                              duration_s=2, repeat=2, rate=[100.0], primer_s=1)  # fmt: skip
    plan = _plan(options)
    steps = planned_steps(plan, options)
    assert sum(steps.values()) == pytest.approx(budget.estimate_s(plan, options))
    kinds = [getattr(k, "kind", type(k).__name__) for k in steps]
    assert kinds.count("open") == 2 and kinds.count("sql") == 2 and kinds.count("PrimerKey") == 2
    progress = Progress(steps, io.StringIO())
    first = plan[0]
    progress.complete(Step("data", first.size), Step("start", first.size, first.backend, "off"))
    progress.complete(PrimerKey(first.size, first.backend, "list", 64, "off"), first)
    before_open = progress.fraction()
    progress.complete(Step("open", first.size, first.backend, "off", "list", 100.0))
    assert before_open < progress.fraction() < 1
    progress.cell("wsgi-raw", "off", "list", 64, 0, 2)
    assert progress.cells_done == 1 and progress.label.endswith(f"cell 2/{len(plan)}")
    progress.complete_matching(backend=first.backend)  # it failed: none of its steps will run
    assert progress.cells_done == 2 and progress.fraction() < 1
    progress.complete_all()
    assert progress.fraction() == 1.0 and progress.eta() == 0
