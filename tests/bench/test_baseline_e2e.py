"""``flask bench run --baseline REV`` on real servers: both sides served from their own trees, and a REV that fails.

Short runs (1 s cells, 100 posts, one worker); run them under the bench lock
(``flock /tmp/finboard-bench.lock``). No figure is asserted — HEAD against the
working tree should give ratios near 1, but that is a timing claim — only the
structure, and that each side really ran from its own checkout (the server's
working directory, read from /proc while it ran).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from finboard.bench.cli import bench, execute
from finboard.settings import PROJECT_ROOT
from tests.bench.test_runner import small
from tests.databases import require_postgres

pytestmark = pytest.mark.postgres


def _git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(PROJECT_ROOT), *args], capture_output=True, text=True).stdout.strip()


def test_head_as_baseline_is_served_from_its_own_worktree_and_paired(tmp_path):
    require_postgres()
    run = execute(small(tmp_path, backends=["wsgi-raw"], scenarios=["list", "detail"], repeat=2, baseline="HEAD"))

    assert list(run["backends"]) == ["wsgi-raw", "wsgi-raw@HEAD"]
    now, before = run["backends"]["wsgi-raw"], run["backends"]["wsgi-raw@HEAD"]
    assert now["status"] == before["status"] == "ok", (now["problems"], before["problems"])
    assert Path(now["served_from"]) == PROJECT_ROOT
    tree = Path(before["served_from"])
    assert tree != PROJECT_ROOT and tree.name == "tree" and tree.parent.name.startswith("finboard-baseline-")
    assert not tree.exists()  # the worktree is removed after the run …
    assert str(tree) not in _git("worktree", "list")  # … and pruned

    info = run["baseline"]
    assert (info["rev"], info["commit"], info["tree"]) == ("HEAD", _git("rev-parse", "HEAD"), str(tree))
    assert info["pairs"] == {"wsgi-raw": "wsgi-raw@HEAD"}
    ratios = {(r["scenario"], r["backend"], r["baseline"]) for r in info["ratios"]}
    assert ratios == {("list", "wsgi-raw", "wsgi-raw@HEAD"), ("detail", "wsgi-raw", "wsgi-raw@HEAD")}
    for ratio in info["ratios"]:
        assert ratio["rounds"] == 2 and ratio["rps_ratio"] > 0 and ratio["cpu_ratio"] > 0
        low, high = ratio["rps_ratio_ci95"]
        assert low <= ratio["rps_ratio"] <= high
    # interleaved: every round measured both sides
    measured = {(e["backend"], e["repeat"]) for e in run["results"] if e["status"] == "ok"}
    assert measured == {(b, r) for b in ("wsgi-raw", "wsgi-raw@HEAD") for r in (0, 1)}
    [run_dir] = [p for p in tmp_path.iterdir() if p.is_dir()]
    report = (run_dir / "report.md").read_text()
    assert "## Before / after" in report and "| wsgi-raw | wsgi-raw@HEAD | list |" in report


def test_a_baseline_whose_backend_cannot_start_keeps_the_rest_and_exits_3(tmp_path):
    require_postgres()
    root = _git("rev-list", "--max-parents=0", "HEAD")  # the first commit: no backends/raw yet
    args = ["run", "--backends", "wsgi-raw", "--baseline", root, "--scenarios", "detail", "--duration", "1"]
    args += ["--warmup", "0", "--repeat", "1", "--aa", "none", "--data-size", "100", "--cache", "off"]
    args += ["--workers", "1", "--threads", "1", "--concurrency", "4", "--sql-requests", "3", "--out", str(tmp_path)]
    result = CliRunner().invoke(bench, args)

    assert result.exit_code == 3, result.output
    label = f"wsgi-raw@{root}"
    assert f"error: {label}: failed to start" in result.output
    [run_dir] = [p for p in tmp_path.iterdir() if p.is_dir()]
    run = json.loads((run_dir / "run.json").read_text())
    assert run["backends"]["wsgi-raw"]["status"] == "ok" and run["backends"][label]["status"] == "failed_to_start"
    assert [e["status"] for e in run["results"] if e["backend"] == "wsgi-raw"] == ["ok"]
    [ratio] = run["baseline"]["ratios"]
    assert ratio["rps_ratio"] is None and ratio["rounds"] == 0
