"""The regression gate on real runs: a deliberately slowed copy of a backend fails it, an identical copy passes.

One short run measures three registry entries interleaved round by round:
``raw``, ``slow`` (raw's app behind a fixed 5 ms CPU burn per request,
``tests/bench/slow_app.py``) and ``raw~aa`` (the A/A copy: the same entry
under a second name). From it the test writes three results files, each with
one of them under the name ``raw``, and runs ``flask bench compare
--fail-below 0.95`` for real: exit 1 on the slowed copy, 0 on the identical
one. The same run checks the schema 3 figures on real servers: CPU µs per
request (the burn shows up as ~5,000 µs over raw), PSS, PostgreSQL's CPU.
"""

from __future__ import annotations

import copy
import json
from dataclasses import replace

import pytest
from click.testing import CliRunner

from finboard.bench import precision, results, runner
from finboard.bench.cli import bench, execute
from finboard.bench.stats import paired_difference
from finboard.registry import WSGI_RAW as RAW
from tests.bench.helpers import FIXTURES
from tests.bench.test_runner import small
from tests.databases import require_postgres

RECORDED_GATE_ROUNDS = FIXTURES / "gate-rounds.json"  # per-round samples of a real run of the test below
SLOW = replace(RAW, name="slow", app="tests.bench.slow_app:application", description="raw + 5 ms of CPU per request")


def as_raw(run: dict, name: str) -> dict:
    """The run with only ``name``'s entries, renamed ``raw`` (as if it were another run of raw)."""
    out = copy.deepcopy(run)
    out["results"] = [{**e, "backend": "wsgi-raw"} for e in out["results"] if e["backend"] == name]
    out["backends"] = {"wsgi-raw": out["backends"][name]}
    return out


@pytest.mark.postgres
def test_compare_fails_a_slowed_copy_and_passes_an_identical_one(tmp_path, monkeypatch):
    require_postgres()
    monkeypatch.setattr(runner, "registered", lambda: {"wsgi-raw": RAW, "slow": SLOW})
    run = execute(
        small(
            tmp_path / "run",
            backends=["wsgi-raw", "slow"],
            aa="wsgi-raw",
            scenarios=["detail"],
            repeat=3,
            concurrency=[4],
        )
    )
    assert {n: b["status"] for n, b in run["backends"].items()} == {"wsgi-raw": "ok", "slow": "ok", "wsgi-raw~aa": "ok"}
    ok = [e for e in run["results"] if e["status"] == "ok"]
    assert len(ok) == 9, [e["reason"] for e in run["results"]]  # 3 backends × 3 rounds

    # schema 3 on real servers
    for entry in ok:
        assert entry["cpu_us_per_request"] > 0 and entry["postgres_cpu_us_per_request"] is not None, entry
        assert entry["pss_mb"]["idle"] and entry["pss_mb"]["load"] and entry["uss_mb"]["peak"], entry
        assert entry["rps_ci95"][0] <= entry["rps_ci95"][1]
    assert sum(e["postgres_cpu_us_per_request"] for e in ok) > 0  # the database's backends, found by name
    assert run["aa"]["copy"] == "wsgi-raw~aa" and run["aa_ratio"] is not None and len(run["aa_ratio_ci95"]) == 2
    cells = {c["backend"]: c for c in run["cells"]}
    assert cells["slow"]["rps"] < cells["wsgi-raw"]["rps"]
    assert 3_500 <= burn_us(run) <= 20_000  # the 5 ms burn, seen from /proc

    slowed, same = gate(run, tmp_path)
    assert slowed.exit_code == 1, slowed.output
    assert "FAIL wsgi-raw detail c=4 cache off 100 posts: B÷A req/s" in slowed.output
    assert same.exit_code == 0, same.output
    assert "PASS" in same.output


def burn_us(run: dict) -> float:
    """slow's CPU µs per request minus raw's, paired by round (slow is no registry entry: it has no ceiling)."""
    cpu = precision.per_round(run["results"], "cpu_us_per_request")
    return paired_difference(cpu[(100, "slow", "detail", "off", 4)], cpu[(100, "wsgi-raw", "detail", "off", 4)]).value


def gate(run: dict, tmp_path):
    """``compare --fail-below 0.95`` of raw against its slowed copy, then against its A/A copy."""
    files = {}
    for name in ("wsgi-raw", "slow", "wsgi-raw~aa"):
        files[name] = tmp_path / f"{name}.json"
        files[name].write_text(json.dumps(as_raw(run, name)))
    cli = CliRunner()
    return [
        cli.invoke(bench, ["compare", str(files["wsgi-raw"]), str(files[other]), "--fail-below", "0.95"])
        for other in ("slow", "wsgi-raw~aa")
    ]


# the samples were recorded before the matrix renamed raw to wsgi-raw
RECORDED_NAMES = {"raw": "wsgi-raw", "raw~aa": "wsgi-raw~aa"}


def recorded_gate_run() -> dict:
    """A results document composed from the recorded per-round samples of a real run of the test above."""
    recorded = json.loads(RECORDED_GATE_ROUNDS.read_text())["samples"]
    entries = []
    for s in recorded:
        figures = {"duration_s": s["successes"] / s["rps"], "requests": s["successes"], "successes": s["successes"],
                   "rps": s["rps"], "error_rate": 0.0}  # fmt: skip
        resources = {
            "server_cpu_s": s["server_cpu_s"],
            **{f"{k}_{w}": s[f"{k}_mb"][w] for k in ("rss", "pss", "uss") for w in ("load", "peak")},
        }
        idle = {"rss": s["rss_mb"]["idle"], "pss": s["pss_mb"]["idle"], "uss": s["uss_mb"]["idle"]}
        entries.append(
            results.result_entry(
                backend=RECORDED_NAMES.get(s["backend"], s["backend"]), scenario="detail", concurrency=4,
                repeat=s["repeat"], cache="off", data_size=100,
                figures=figures, resources=resources, rss_idle=idle["rss"], memory_idle=idle,
            )
        )  # fmt: skip
    run = results.new_run("flask bench run (recorded samples)", {}, {"repeat": 3})
    run["results"] = results.with_x_raw(entries)
    run["backends"] = {name: {"status": "ok", "problems": []} for name in ("wsgi-raw", "slow", "wsgi-raw~aa")}
    run["aa"] = {"backend": "wsgi-raw"}
    return precision.annotate(run)


def test_the_gate_on_recorded_samples_of_a_real_run(tmp_path):
    """The same three files and the same compare calls, from the recorded rounds: no PostgreSQL or wrk needed."""
    run = recorded_gate_run()
    assert run["aa"]["too_noisy_to_rank"]  # that machine was busy: the A/A copy differed by 1.2× [0.88–1.57]
    assert run["aa_ratio"] == pytest.approx(1.205, abs=0.001)
    slowed, same = gate(run, tmp_path)
    assert slowed.exit_code == 1, slowed.output
    assert "FAIL wsgi-raw detail c=4 cache off 100 posts: B÷A req/s 0.257 [" in slowed.output
    assert same.exit_code == 0 and "reaches 0.95 (not clearly slower)" in same.output, same.output
    assert 3_500 <= burn_us(run) <= 20_000  # the 5 ms of CPU per request, seen from /proc
