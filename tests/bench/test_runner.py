"""The run goes on where it can: a backend that can't start, --target, Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace

import psutil
import pytest

from finboard.bench import runner
from finboard.bench.cli import execute
from finboard.bench.options import RunOptions
from finboard.registry import FLASK_ORM as FLASK
from finboard.registry import Backend
from finboard.settings import PROJECT_ROOT
from tests.databases import require_postgres

pytestmark = pytest.mark.postgres

BROKEN = Backend(
    name="broken",
    framework="a server that exits at once",
    app="finboard.app:create_app",
    command=lambda host, port, workers: [sys.executable, "-c", "import sys; print('broken on purpose'); sys.exit(3)"],
)


def small(tmp_path, **overrides) -> RunOptions:
    settings = dict(
        backends=["broken", "flask-orm"],
        scenarios=["aggregate", "detail"],
        concurrency=[4],
        duration_s=1,
        warmup_s=0,
        primer_s=0,  # the primer has a test of its own (below)
        data_size=100,
        cache="off",
        sql_requests=3,
        sql_flush="end",
        workers=1,
        threads=1,
        out=tmp_path,
        command="test",
        repeat=1,
        aa="none",  # the A/A control has tests of its own (test_gate_e2e)
    )
    return RunOptions(**{**settings, **overrides})


def test_a_backend_that_cannot_start_is_reported_and_the_others_still_run(tmp_path, monkeypatch):
    require_postgres()
    monkeypatch.setattr(runner, "registered", lambda: {"broken": BROKEN, "flask-orm": FLASK})
    run = execute(small(tmp_path))
    broken, flask = run["backends"]["broken"], run["backends"]["flask-orm"]
    assert broken["status"] == "failed_to_start"
    assert "broken on purpose" in broken["log_tail"]
    assert flask["status"] == "ok"
    by_backend = {(e["backend"], e["scenario"]): e for e in run["results"]}
    assert by_backend[("broken", "detail")]["status"] == "failed_to_start"
    assert by_backend[("broken", "detail")]["rps"] is None  # no figures for it
    assert by_backend[("flask-orm", "detail")]["successes"] > 0
    [run_dir] = [p for p in tmp_path.iterdir() if p.is_dir()]
    report = (run_dir / "report.md").read_text()
    assert "did not start" in report and "broken on purpose" in report


def test_one_round_per_data_size_each_on_its_own_data(tmp_path):
    """Two sizes, flask and raw: every row says its size, each round its data, the targets come from both."""
    require_postgres()
    run = execute(
        small(
            tmp_path, backends=["flask-orm", "wsgi-raw"], scenarios=["list", "deep", "aggregate"], data_size=[60, 140]
        )
    )
    assert run["settings"]["data_size"] == [60, 140]
    assert [(r["data_size"], r["posts"], r["deep"]["page"]) for r in run["rounds"]] == [(60, 60, 3), (140, 140, 7)]
    assert "explain" not in run["rounds"][0] and run["rounds"][1]["explain"]  # the largest size only
    rows = {(e["data_size"], e["backend"], e["scenario"]): e for e in run["results"]}
    assert set(rows) == {
        (n, b, s) for n in (60, 140) for b in ("flask-orm", "wsgi-raw") for s in ("list", "deep", "aggregate")
    }
    assert all(e["status"] == "ok" and e["successes"] > 0 for e in rows.values()), [e["reason"] for e in rows.values()]
    assert rows[(140, "wsgi-raw", "deep")]["x_raw"] == 1.0
    flask = rows[(140, "flask-orm", "list")]
    assert flask["x_raw"] == round(flask["rps"] / rows[(140, "wsgi-raw", "list")]["rps"], 3)
    assert {(t["target"], t["data_size"]) for t in run["targets"] if t["backend"] == "flask-orm"} >= {
        (1, 60),
        (1, 140),
        (2, 140),
        (3, 140),
        (6, 140),
    }
    assert {s["data_size"] for s in run["sql"]} == {60, 140}
    [run_dir] = [p for p in tmp_path.iterdir() if p.is_dir()]
    assert {p.name for p in run_dir.glob("*.png")} == {
        "throughput-60.png", "latency-60.png", "memory-60.png",
        "throughput-140.png", "latency-140.png", "memory-140.png", "size.png",
    }  # fmt: skip
    report = (run_dir / "report.md").read_text()
    assert "## Size: 140 ÷ 60 posts" in report and "page 7, the deepest at this size (5,000 asked)" in report


def test_target_leaves_what_it_cannot_measure_null(tmp_path):
    require_postgres()
    import secrets

    from finboard.bench import database
    from finboard.serving import start_backend

    with database.throwaway_database() as url:
        database.migrate(url)
        database.seed_if_empty(url, 100)
        env = {"DATABASE_URL": url, "SECRET_KEY": secrets.token_urlsafe(32), "FINBOARD_ENV": "production"}
        with start_backend(FLASK, env=env, workers=1) as server:
            run = execute(small(tmp_path, backends=[], target=server.base_url, scenarios=["list", "aggregate"]))
    assert list(run["backends"]) == ["target"]
    for entry in run["results"]:
        assert entry["status"] == "ok" and entry["successes"] > 0
        assert entry["rss_mb"] == {"idle": None, "load": None, "peak": None}
        assert entry["cpu_pct"] == {"avg": None, "peak": None}
        assert entry["pss_mb"] == {"idle": None, "load": None, "peak": None} and entry["cpu_us_per_request"] is None
        assert entry["sql_per_request"] is None and entry["startup_s"] is None
        assert entry["wrk_cpu_pct"]["avg"] is not None  # wrk is ours: that is measured


def test_ctrl_c_ends_every_server_and_wrk_and_keeps_the_partial_results(tmp_path):
    require_postgres()
    command = [sys.executable, "-m", "flask", "bench", "run", "--backends", "flask-orm", "--scenarios", "list",
               "--concurrency", "4", "--duration", "30", "--warmup", "0", "--data-size", "100", "--cache", "off",
               "--workers", "1", "--repeat", "1", "--aa", "none", "--out", str(tmp_path)]  # fmt: skip
    process = subprocess.Popen(
        command,
        cwd=PROJECT_ROOT,
        env={**os.environ, "FLASK_APP": "wsgi"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        parent = psutil.Process(process.pid)
        deadline = time.monotonic() + 120
        started = []
        while time.monotonic() < deadline:
            started = parent.children(recursive=True)
            if any(p.name() == "wrk" for p in started):
                break
            time.sleep(0.2)
        assert any(p.name() == "wrk" for p in started), "wrk never started"
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, stderr[-3000:]
    gone, alive = psutil.wait_procs(started, timeout=10)
    assert not alive, f"left running: {[p.cmdline() for p in alive]}"
    [run_dir] = [p for p in tmp_path.iterdir() if p.is_dir()]
    run = json.loads((run_dir / "run.json").read_text())
    assert run["interrupted"] and not run["complete"]
    assert [e["status"] for e in run["results"]] == ["interrupted"]
    assert (run_dir / "report.md").exists()


def test_each_server_starts_once_per_cache_mode_is_primed_and_serves_every_round(tmp_path):
    """Servers are kept across the rounds of a cache mode: one start, one verification, a primer, a turn per round.

    The primers are in the results file (``primer[]``) and nowhere in the statistics.
    """
    require_postgres()
    options = small(tmp_path, backends=["flask-orm", "wsgi-raw"], scenarios=["list"], repeat=3, cache="both")
    run = execute(replace(options, primer_s=1))
    for name in ("flask-orm", "wsgi-raw"):
        info = run["backends"][name]
        assert len(info["startup_s"]) == 2 and len(info["rss_idle_mb"]) == 2  # cache off, then cache on
        assert len(info["wall_s"]) == 8  # the primer's turn and one per round, in each cache mode
        cells = [e for e in run["results"] if e["backend"] == name]
        assert sorted((e["cache"], e["repeat"]) for e in cells) == [(c, r) for c in ("off", "on") for r in range(3)]
        assert all(e["status"] == "ok" and e["successes"] > 0 for e in cells), [e["reason"] for e in cells]
        primers = [e for e in run["primer"] if e["backend"] == name]
        assert [(e["cache"], e["scenario"], e["concurrency"], e["repeat"]) for e in primers] == [
            ("off", "list", 4, None),
            ("on", "list", 4, None),
        ]
        assert all(e["primer"] and e["status"] == "ok" and e["successes"] > 0 for e in primers)
        assert all(e["duration_s"] < 2 and e["cpu_s"]["server"] is not None for e in primers)  # 1 s, measured
    assert run["settings"]["primer_s"] == 1
    assert not [e for e in run["results"] if e.get("primer") or e["repeat"] is None]
    assert {c["rounds"] for c in run["cells"]} == {3}  # the medians and CIs rest on the three rounds only
    [run_dir] = [p for p in tmp_path.iterdir() if p.is_dir()]
    assert json.loads((run_dir / "run.json").read_text())["primer"] == run["primer"]
    assert "primed once for 1 s per scenario" in (run_dir / "report.md").read_text()
