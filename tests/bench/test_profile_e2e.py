"""End to end: ``flask bench profile`` on PostgreSQL, one backend and one scenario for two seconds.

It asserts what the profile is for: py-spy really sampled the server's
worker (samples attributed to named layers, not all "other"), and the layers
add up to the CPU per request measured from /proc over the same window. Run
under ``flock /tmp/finboard-fixed.lock`` like the other bench end-to-end tests.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys

import pytest

from finboard.bench.profile_layers import LAYERS
from finboard.settings import PROJECT_ROOT
from tests.databases import require_postgres

pytestmark = pytest.mark.postgres


def test_a_short_real_profile_attributes_the_samples_and_adds_up(tmp_path):
    require_postgres()
    out = tmp_path / "profile"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    completed = subprocess.run(
        [sys.executable, "-m", "flask", "bench", "profile", "--backends", "wsgi-raw", "--scenarios", "detail",
         "--duration", "2s", "--warmup", "1s", "--data-size", "1000", "--out", str(out)],
        cwd=PROJECT_ROOT, env={**env, "FLASK_APP": "wsgi"}, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-5000:]
    document = json.loads((out / "profile.json").read_text())
    assert document["kind"] == "finboard-bench-profile" and not document["interrupted"]
    assert document["backends"]["wsgi-raw"]["status"] == "ok"
    assert document["backends"]["wsgi-raw"]["verification"]["ok"]
    [cell] = document["cells"]
    assert (cell["backend"], cell["scenario"]) == ("wsgi-raw", "detail")
    assert cell["successes"] > 100 and cell["error_rate"] == 0
    # the worker was sampled whenever it ran Python (give or take a loaded machine's scheduling and torn reads),
    # and most samples are charged to a named layer
    assert cell["samples"] >= 30 and 0.3 <= cell["sample_coverage"] <= 3, cell
    assert cell["attributed_share"] >= 0.8, cell["layers_samples"]
    assert cell["processes"], "no sample names the process it came from"
    layers = cell["layers_us"]
    assert list(layers) == list(LAYERS)
    # the ceiling runs no framework and no ORM; its SQL goes through psycopg
    assert layers["framework"] == 0 and layers["orm"] == 0
    assert layers["driver"] > 0 and layers["server"] > 0 and layers["sql layer"] + layers["serialisation"] > 0
    # the layers are shares of the measured CPU per request: they add up to it within rounding
    assert sum(layers.values()) == pytest.approx(cell["cpu_us_per_request"], abs=0.05 * len(LAYERS) + 0.05)
    assert cell["cpu_us_per_request"] == pytest.approx(cell["cpu_s"] * 1e6 / cell["successes"], rel=1e-3)
    with gzip.open(out / cell["raw"], "rt") as raw:
        lines = raw.read().splitlines()
    assert sum(int(line.rsplit(" ", 1)[1]) for line in lines if line) == cell["samples"]
    assert any("finboard/rawsql/" in line for line in lines)
    report = (out / "profile.md").read_text()
    assert "| Layer (self time) | wsgi-raw |" in report and "**total = measured CPU / request**" in report
    assert f"Profile: {out / 'profile.md'}" in completed.stdout
