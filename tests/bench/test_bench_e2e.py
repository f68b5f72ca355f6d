"""End to end: ``flask bench run --quick`` on PostgreSQL for every registered backend, within its minute.

No figure is asserted (benchmarks are not timed tests); the run must complete,
verify every backend that can start, and produce the JSON, the Markdown and
the charts. A built-in backend whose dependencies don't import fails this
test — it is never skipped.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter

import pytest

from finboard.bench import options as opts
from finboard.bench.scenarios import SCENARIOS
from finboard.registry import BUILTIN, registered
from finboard.settings import PROJECT_ROOT
from tests.databases import require_postgres

pytestmark = pytest.mark.postgres


def test_builtin_backends_can_start():
    problems = {b.name: b.missing_dependencies() for b in BUILTIN if b.missing_dependencies()}
    assert not problems, f"built-in backends whose dependencies don't import: {problems}"


def test_quick_run_on_postgres(tmp_path):
    require_postgres()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    completed = subprocess.run(
        [sys.executable, "-m", "flask", "bench", "run", "--quick", "--out", str(tmp_path)],
        cwd=PROJECT_ROOT,
        env={**env, "FLASK_APP": "wsgi"},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-5000:]
    [run_dir] = [p for p in tmp_path.iterdir() if p.is_dir()]
    run = json.loads((run_dir / "run.json").read_text())

    assert run["schema_version"] == 3
    assert "bench run --quick" in run["command"]
    assert run["complete"] and not run["interrupted"]
    # --quick runs one idiomatic backend per framework and the ceiling, without the A/A copy (one round: no CI)
    backends = {n: b for n, b in registered().items() if n in opts.QUICK["backends"]}
    assert list(backends) == list(opts.QUICK["backends"])
    concurrency, repeats = run["settings"]["concurrency"], run["settings"]["repeat"]
    scenarios = run["settings"]["scenarios"]
    assert scenarios == ["list", "detail"] and repeats == 1 and run["aa"]["copy"] is None
    # the plan and its estimate were said before the first round, within --quick's budget (no warning)
    assert "Plan: " in completed.stderr and "budget 1:00 for --quick" in completed.stderr
    assert "warning: this plan" not in completed.stderr and run["settings"]["planned_s"] <= 60
    assert run["settings"]["data_size"] == [1000] and [r["data_size"] for r in run["rounds"]] == [1000]

    # one result per backend × scenario × concurrency × repeat (pages only where a backend serves them)
    expected = Counter(
        (1000, b.name, s.name, c, r)
        for b in backends.values()
        for s in SCENARIOS.values()
        if s.name in scenarios and s.applies_to(b)
        for c in concurrency
        for r in range(repeats)
    )
    got = Counter((e["data_size"], e["backend"], e["scenario"], e["concurrency"], e["repeat"]) for e in run["results"])
    assert got == expected
    [data] = run["rounds"]
    assert data["posts"] == 1000 and data["deep"]["page"] == 50 and data["deep"]["cursor"]
    assert {band: bool(terms) for band, terms in data["search_terms"].items()} == {"common": True, "mid": True,
                                                                                     "rare": True}  # fmt: skip
    assert data["explain"] and not [e for e in data["explain"] if e["error"]], data["explain"]
    assert {t["target"] for t in run["targets"]} >= {1, 6}

    report = (run_dir / "report.md").read_text()
    for name, backend in backends.items():
        info = run["backends"][name]
        if backend.missing_dependencies():  # a plugin that can't start: reported, and the run went on
            assert info["status"] == "failed_to_start" and name in report
            continue
        assert info["status"] == "ok", f"{name}: {info['problems']} {info.get('log_tail')}"
        assert info["data_layer"] == backend.data_layer and f"| {name} | {backend.framework} | " in report
        assert info["verification"]["ok"], info["verification"]
        cells = [e for e in run["results"] if e["backend"] == name]
        assert all(e["status"] == "ok" for e in cells), [e["reason"] for e in cells]
        for entry in cells:
            assert entry["requests"] is not None and entry["duration_s"] > 0
            assert entry["rss_mb"]["idle"] and entry["rss_mb"]["load"] and entry["rss_mb"]["peak"]
            assert entry["cpu_pct"]["avg"] is not None and entry["cpu_pct"]["peak"] is not None
            assert entry["pss_mb"]["idle"] and entry["pss_mb"]["load"] and entry["uss_mb"]["idle"]
            assert entry["cpu_s"]["server"] is not None and entry["rps_ci95"] is not None
            assert entry["startup_s"] > 0
            assert entry["sql_per_request"] is not None
            assert entry["successes"] > 0, entry
        assert sum(e["successes"] for e in cells) > 0

    assert run["aa_ratio"] is None
    assert {c["backend"] for c in run["cells"]} == set(backends)
    assert "## Precision" in report and "### 8. Where the time goes" in report
    assert "### 1. Response Time" in report and "What the numbers don't show" in report
    assert "## Targets" in report and "## Appendix: EXPLAIN (ANALYZE, BUFFERS)" in report
    for png in ("throughput.png", "latency.png", "memory.png"):
        assert (run_dir / png).read_bytes().startswith(b"\x89PNG")
