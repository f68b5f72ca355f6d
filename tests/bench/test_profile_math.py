"""The arithmetic of ``flask bench profile``: shares × measured CPU, adapter − ceiling, the 0.8× budget."""

from __future__ import annotations

import pytest

from finboard.bench.profile_layers import LAYERS, parse
from finboard.bench.profile_math import CellProfile, Comparison, comparisons
from finboard.bench.profile_report import ProfileLink, markdown, report_lines

# Stacks in py-spy's raw format (outermost first, the count last), as a gunicorn sync worker writes them.
WORKER = 'process 10:"gunicorn: master";process 11:"gunicorn: worker"'
BASE = f"{WORKER};run (gunicorn/arbiter.py:200);handle (gunicorn/workers/sync.py:150)"
CEILING = [
    f"{BASE};accept (socket.py:300) 10",  # stdlib under gunicorn: server time
    f"{BASE};__call__ (backends/raw/wsgi.py:70);run (finboard/rawsql/reads.py:40);execute (psycopg/cursor.py:90) 50",
    f"{BASE};__call__ (backends/raw/wsgi.py:70);run (finboard/rawsql/reads.py:40) 10",
    f"{BASE};__call__ (backends/raw/wsgi.py:70);page (finboard/rawsql/documents.py:120) 30",
]
ADAPTER = [
    f"{BASE};accept (socket.py:300) 10",
    f"{BASE};wsgi_app (flask/app.py:1500);__init__ (werkzeug/wrappers/request.py:110) 60",
    f"{BASE};wsgi_app (flask/app.py:1500);dispatch_request (flask/app.py:880) 40",
    f"{BASE};wsgi_app (flask/app.py:1500);list_posts (finboard/api/posts.py:40);run (finboard/rawsql/reads.py:40);"
    "execute (psycopg/cursor.py:90) 50",
    f"{BASE};wsgi_app (flask/app.py:1500);list_posts (finboard/api/posts.py:40);run (finboard/rawsql/reads.py:40) 10",
    f"{BASE};wsgi_app (flask/app.py:1500);list_posts (finboard/api/posts.py:40);"
    "page (finboard/rawsql/documents.py:120) 30",
]


def cell(backend: str, lines: list[str], cpu_s: float, successes: int = 1000) -> CellProfile:
    return CellProfile(backend, "list", successes, cpu_s, 8.0, list(parse(lines)))


def test_layers_are_shares_of_the_measured_cpu_and_add_up_to_it():
    ceiling = cell("wsgi-raw", CEILING, cpu_s=0.2)  # 200 µs per request over 100 samples
    assert ceiling.cpu_us == pytest.approx(200.0) and ceiling.total == 100
    layers = ceiling.layers_us()
    assert list(layers) == list(LAYERS)
    assert layers["server"] == pytest.approx(20.0)  # 10 % of the samples
    assert layers["driver"] == pytest.approx(100.0)
    assert layers["sql layer"] == pytest.approx(20.0)
    assert layers["serialisation"] == pytest.approx(60.0)
    assert layers["framework"] == 0 and layers["stdlib/other"] == 0
    assert sum(layers.values()) == pytest.approx(ceiling.cpu_us)
    assert ceiling.attributed_share() == 1.0
    document = ceiling.as_dict()
    assert sum(document["layers_us"].values()) == pytest.approx(document["cpu_us_per_request"], abs=0.05 * len(LAYERS))
    assert document["processes"] == [11] and document["rps"] == 125.0


def test_the_kernel_layer_is_the_system_cpu_and_the_samples_share_the_user_cpu():
    ceiling = CellProfile("wsgi-raw", "list", 1000, 0.2, 8.0, list(parse(CEILING)), rate=100, system_s=0.05)
    layers = ceiling.layers_us()
    assert layers["kernel (system calls)"] == pytest.approx(50.0)  # 0.05 s over 1000 requests
    assert layers["driver"] == pytest.approx(75.0)  # half the samples × the 150 µs of user CPU
    assert sum(layers.values()) == pytest.approx(200.0)
    assert ceiling.coverage == pytest.approx(100 / (0.15 * 100))  # samples ÷ (user CPU s × rate)
    assert ceiling.as_dict()["system_s"] == 0.05


def test_inclusive_time_counts_the_framework_with_everything_it_calls():
    adapter = cell("flask-sql", ADAPTER, cpu_s=0.4)  # 400 µs per request over 200 samples
    inclusive = adapter.inclusive_us()
    assert inclusive["framework"] == pytest.approx(190 / 200 * 400)  # every sample under wsgi_app
    assert adapter.layers_us()["framework"] == pytest.approx(100 / 200 * 400)  # its own frames only
    assert inclusive["server"] == pytest.approx(400.0)  # gunicorn is at the root of every stack


def test_the_adapter_minus_its_ceiling_per_layer_and_the_budget_of_the_08_line():
    pair = Comparison(cell("flask-sql", ADAPTER, cpu_s=0.4), cell("wsgi-raw", CEILING, cpu_s=0.2))
    assert pair.cpu_ratio == pytest.approx(0.5)
    assert pair.budget_us == pytest.approx(250.0)  # 200 µs ÷ 0.8
    assert pair.excess_us == pytest.approx(150.0)
    diffs = pair.layer_differences()
    assert diffs["framework"] == pytest.approx(200.0)  # 100 of 200 samples × 400 µs, the ceiling has none
    assert diffs["driver"] == pytest.approx(0.0)  # 50/200 × 400 = 100, as the ceiling's 50/100 × 200
    assert sum(diffs.values()) == pytest.approx(200.0)  # the whole difference in CPU per request
    packages = {(layer, p): d for layer, p, d in pair.package_differences()}
    assert packages[("framework", "werkzeug")] == pytest.approx(120.0)
    assert packages[("framework", "flask")] == pytest.approx(80.0)
    new = pair.new_functions()
    assert [f for f, _, _ in new] == ["__init__ (werkzeug/wrappers/request.py)", "dispatch_request (flask/app.py)"]
    assert new[0][1] == "framework" and new[0][2] == pytest.approx(120.0)
    text = pair.what_it_would_take()
    assert "0.50× its req/s" in text and "framework +200 µs (werkzeug +120, flask +80)" in text
    assert "Reaching 0.8× needs ≤ 250 µs per request, i.e. ≤ 50 µs over the ceiling: 150 µs less" in text
    assert "Cutting the framework layer's 200 µs to ≤ 50 µs would do it alone." in text


def test_an_adapter_within_the_budget_says_so():
    pair = Comparison(cell("flask-sql", ADAPTER, cpu_s=0.22), cell("wsgi-raw", CEILING, cpu_s=0.2))
    assert pair.excess_us < 0
    assert "Within the 0.8× budget of 250 µs per request already (30 µs to spare)." in pair.what_it_would_take()


def test_comparisons_pair_each_adapter_with_its_own_profiled_ceiling():
    cells = [cell("flask-sql", ADAPTER, 0.4), cell("wsgi-raw", CEILING, 0.2), cell("fastapi-sql", ADAPTER, 0.3)]
    pairs = comparisons(cells, {"flask-sql": "wsgi-raw", "wsgi-raw": "wsgi-raw", "fastapi-sql": "asgi-raw"}.get)
    assert [(p.adapter.backend, p.ceiling.backend) for p in pairs] == [("flask-sql", "wsgi-raw")]


def document_of(cells: list[CellProfile]) -> dict:
    pairs = comparisons(cells, {"flask-sql": "wsgi-raw", "wsgi-raw": "wsgi-raw"}.get)
    return {
        "kind": "finboard-bench-profile",
        "command": "flask bench profile",
        "settings": {"workers": 1, "data_size": 10000, "concurrency": 8, "duration_s": 8, "sample_rate": 200},
        "layers": list(LAYERS),
        "backends": {"flask-sql": {"status": "ok", "ceiling": "wsgi-raw"}, "wsgi-raw": {"status": "ok"}},
        "cells": [{**c.as_dict(), "raw": f"raw/{c.backend}-list.txt.gz"} for c in cells],
        "comparisons": [p.as_dict() for p in pairs],
    }


def test_the_markdown_has_the_layer_table_the_difference_and_the_new_functions():
    text = markdown(document_of([cell("flask-sql", ADAPTER, 0.4), cell("wsgi-raw", CEILING, 0.2)]))
    assert "| Layer (self time) | flask-sql | wsgi-raw | flask-sql − wsgi-raw |" in text
    assert "| framework | 200 | 0 | +200 |" in text
    assert "| **total = measured CPU / request** | **400** | **200** | **+200** |" in text
    assert "| ceiling CPU ÷ backend CPU | 0.50× | ceiling |" in text
    assert "`__init__ (werkzeug/wrappers/request.py)` | framework | 120.0 |" in text
    assert "Reaching 0.8× needs ≤ 250 µs per request" in text
    assert "[flask-sql-list.txt.gz](raw/flask-sql-list.txt.gz)" in text


def test_each_scenario_has_its_own_ratios():
    cells = [cell("flask-sql", ADAPTER, 0.4), cell("wsgi-raw", CEILING, 0.2)]
    cpu = {"flask-sql": 0.3, "wsgi-raw": 0.27}
    cells += [CellProfile(c.backend, "detail", 1000, cpu[c.backend], 8.0, c.samples) for c in cells]
    text = markdown(document_of(cells))
    listing, detail = text.split("## GET /api/v1/posts/{id} (detail)")
    assert "| ceiling CPU ÷ backend CPU | 0.50× | ceiling |" in listing
    assert "| ceiling CPU ÷ backend CPU | 0.90× | ceiling |" in detail
    assert "**flask-sql, detail**: 300 µs of CPU per request" in detail


def test_the_bench_report_links_the_profile_from_the_targets_and_the_ceiling_lines(tmp_path):
    import json

    from click.testing import CliRunner

    from finboard.bench.cli import bench
    from tests.bench.helpers import RECORDED_RUN

    profile_dir = tmp_path / "profile"
    profile_dir.mkdir()
    document = document_of([cell("flask-sql", ADAPTER, 0.4), cell("wsgi-raw", CEILING, 0.2)])
    (profile_dir / "profile.json").write_text(json.dumps(document))
    [line] = report_lines(document, "../profile/profile.md")
    assert line == (
        "- flask-sql over wsgi-raw, GET /api/v1/posts (first pages): ceiling CPU ÷ its CPU 0.50×; "
        "the largest addition is the framework layer, +200 µs/request; 0.8× needs 150 µs/request less "
        "([profile](../profile/profile.md))"
    )
    assert ProfileLink.of(document, profile_dir, tmp_path / "report").link == "../profile/profile.md"
    result = CliRunner().invoke(bench, ["report", str(RECORDED_RUN), "--out", str(tmp_path / "report"),
                                        "--profile", str(profile_dir)])  # fmt: skip
    assert result.exit_code == 0, result.output
    report = (tmp_path / "report" / "quick-run.md").read_text()
    targets = report.split("### Target 1:")[1].split("### Target 2:")[0]
    assert line in targets
    ceiling = report.split("#### Each -sql backend against its ceiling")[-1].split("### 9.")[0]
    assert line in ceiling


def test_report_refuses_a_directory_that_is_not_a_profile(tmp_path):
    from click.testing import CliRunner

    from finboard.bench.cli import bench
    from tests.bench.helpers import RECORDED_RUN

    (tmp_path / "profile.json").write_text('{"kind": "something else"}')
    result = CliRunner().invoke(
        bench, ["report", str(RECORDED_RUN), "--out", str(tmp_path), "--profile", str(tmp_path)]
    )
    assert result.exit_code == 1 and "not a profile of `flask bench profile`" in result.output


def test_rebuild_derives_the_profile_again_from_its_raw_stacks(tmp_path):
    import gzip
    import json

    from click.testing import CliRunner

    from finboard.bench.cli import bench

    document = document_of([cell("flask-sql", ADAPTER, 0.4), cell("wsgi-raw", CEILING, 0.2)])
    (tmp_path / "raw").mkdir()
    for name, lines in (("flask-sql", ADAPTER), ("wsgi-raw", CEILING)):
        with gzip.open(tmp_path / "raw" / f"{name}-list.txt.gz", "wt") as raw:
            raw.write("\n".join(lines) + "\n")
    document["comparisons"] = []  # as if the classifier had changed since: rebuild recomputes them
    (tmp_path / "profile.json").write_text(json.dumps(document))
    result = CliRunner().invoke(bench, ["profile", "--rebuild", str(tmp_path)])
    assert result.exit_code == 0, result.output
    rebuilt = json.loads((tmp_path / "profile.json").read_text())
    [pair] = rebuilt["comparisons"]
    assert (pair["adapter"], pair["ceiling"], pair["excess_us"]) == ("flask-sql", "wsgi-raw", 150.0)
    assert rebuilt["cells"][0]["raw"] == "raw/flask-sql-list.txt.gz" and rebuilt["rebuilt_at"]
    assert "| framework | 200 | 0 | +200 |" in (tmp_path / "profile.md").read_text()
    (tmp_path / "raw" / "wsgi-raw-list.txt.gz").unlink()
    result = CliRunner().invoke(bench, ["profile", "--rebuild", str(tmp_path)])
    assert result.exit_code == 1 and "the raw stacks of a cell can't be read" in result.output
