"""Each label against its own ceiling (by interface, server, revision), the time split and the 0.8× check."""

from __future__ import annotations

from dataclasses import replace

import pytest

from finboard.bench import precision, report
from finboard.bench.ceilings import ceiling_of, split_label, sql_variant_of
from finboard.bench.report_time import ceiling_checks
from finboard.bench.tables import Aggregate
from finboard.registry import ASGI_RAW, FASTAPI_ORM, WSGI_RAW
from tests.bench.helpers import rounds_run

ROUND_RPS = [1000, 900, 1100, 1000, 950]  # the machine's speed swings between rounds; every backend alike


@pytest.mark.parametrize(
    ("label", "ceiling"),
    [
        ("flask-orm", "wsgi-raw"),
        ("flask-sql", "wsgi-raw"),
        ("django-sql", "wsgi-raw"),
        ("fastapi-orm", "asgi-raw"),
        ("fastapi-sql", "asgi-raw"),
        ("asgi-raw", "asgi-raw"),
        ("raw", "raw"),  # a ceiling under its old name is its own ceiling
        ("asgi-raw@granian~aa", "asgi-raw@granian"),
        ("fastapi", "asgi-raw"),  # the name before the matrix
        ("flask-sql@granian", "wsgi-raw@granian"),
        ("fastapi-sql@granian", "asgi-raw@granian"),
        ("fastapi-orm@HEAD~1", "asgi-raw@HEAD~1"),  # a baseline's REV keeps its own ~
        ("django-orm@granian@abc123", "wsgi-raw@granian@abc123"),
        ("flask-orm~aa", "wsgi-raw"),  # the A/A copy is measured against its original's ceiling
        ("fastapi-orm@granian~aa", "asgi-raw@granian"),
        ("no-such-backend", None),
    ],
)
def test_each_label_maps_to_the_ceiling_of_its_interface_server_and_revision(label, ceiling):
    assert ceiling_of(label) == ceiling


def test_the_ceiling_comes_from_the_registry_not_from_names():
    quart = replace(FASTAPI_ORM, name="quart", app="plugin:app")  # an ASGI plugin
    mine = replace(ASGI_RAW, name="my-asgi-floor")
    backends = {b.name: b for b in (quart, mine, WSGI_RAW)}
    assert ceiling_of("quart@granian", backends) == "my-asgi-floor@granian"
    assert ceiling_of("quart", {"quart": quart, "wsgi-raw": WSGI_RAW}) is None  # no ASGI ceiling registered


def test_split_label_and_the_sql_variant_keep_server_and_revision():
    assert split_label("fastapi-sql@granian@HEAD~2~aa") == ("fastapi-sql", "@granian@HEAD~2")
    assert sql_variant_of("django-orm@HEAD~1") == "django-sql@HEAD~1"
    assert sql_variant_of("fastapi-orm~aa") == "fastapi-sql"
    assert sql_variant_of("flask-sql") is None and sql_variant_of("wsgi-raw") is None


def matrix_run(us: dict[str, float], share: dict[str, float] | None = None) -> dict:
    """A run on ``detail`` where backend B costs ``us[B]`` CPU µs per request and reaches share[B] × ROUND_RPS."""
    share = share or {}
    samples, cpu = {}, {}
    for backend, micros in us.items():
        rps = [r * share.get(backend, 1.0) for r in ROUND_RPS]
        samples[(backend, "detail")] = rps
        cpu[(backend, "detail")] = [micros * int(r * 10) / 1e6 for r in rps]  # 10 s cells
    run = rounds_run(samples, cpu=cpu)
    run["settings"].update(concurrency=[64], data_size=[1000], workers=2)
    return run


US = {"wsgi-raw": 100, "flask-sql": 150, "flask-orm": 330, "asgi-raw": 80, "fastapi-sql": 125, "fastapi-orm": 290}


def test_the_time_split_sets_each_backend_against_its_ceiling_and_its_sql_variant():
    run = matrix_run(US)
    rows = {r["backend"]: r for r in precision.time_breakdown(run["results"], 1000, "detail", "off", 64)}
    assert rows["fastapi-sql"]["ceiling"] == "asgi-raw" and rows["flask-sql"]["ceiling"] == "wsgi-raw"
    assert rows["fastapi-sql"]["adds_us"].value == pytest.approx(45, abs=0.2)  # the framework: 125 − 80
    assert rows["flask-sql"]["adds_us"].value == pytest.approx(50, abs=0.2)  # 150 − 100
    assert rows["fastapi-orm"]["orm_adds_us"].value == pytest.approx(165, abs=0.2)  # ORM + serialisation: 290 − 125
    assert rows["flask-orm"]["orm_adds_us"].value == pytest.approx(180, abs=0.2)  # 330 − 150
    assert rows["asgi-raw"]["is_ceiling"] and rows["asgi-raw"]["adds_us"] is None
    assert rows["flask-sql"]["sql_variant"] is None and rows["flask-sql"]["orm_adds_us"] is None
    order = list(rows)
    assert order.index("asgi-raw") < order.index("fastapi-sql") and order.index("wsgi-raw") < order.index("flask-sql")

    where = report.markdown(run).split("### 8. Where the time goes")[1].split("### 9.")[0]
    assert "| GET /api/v1/posts/{id} | fastapi-sql | asgi-raw | 125 µs [" in where
    assert "| GET /api/v1/posts/{id} | fastapi-orm | asgi-raw | 290 µs [" in where and "| 165 µs [" in where


def test_ratios_to_the_ceiling_pair_a_server_with_its_own_ceiling():
    us = {"wsgi-raw": 100, "wsgi-raw@granian": 90, "flask-sql": 150, "flask-sql@granian": 140}
    run = matrix_run(us, share={"wsgi-raw": 1.0, "wsgi-raw@granian": 2.0, "flask-sql": 0.9, "flask-sql@granian": 1.5})
    cells = {c["backend"]: c for c in run["cells"]}
    assert cells["flask-sql@granian"]["x_raw"] == pytest.approx(0.75)  # ÷ wsgi-raw@granian, not ÷ wsgi-raw (1.5)
    assert cells["flask-sql"]["x_raw"] == pytest.approx(0.9)
    first = {e["backend"]: e for e in run["results"] if e["repeat"] == 0}  # an entry ÷ the ceiling's median (2000)
    assert first["flask-sql@granian"]["x_raw"] == pytest.approx(0.75)
    assert Aggregate(run, 1000).x_raw("flask-sql@granian", "detail", "off", 64) == pytest.approx(0.75)
    assert "(0.75 [0.75–0.75]× wsgi-raw@granian)" in report.markdown(run)


def test_each_sql_backend_is_judged_against_its_own_ceiling_at_0_8():
    share = {"fastapi-sql": 0.7, "flask-sql": 0.85}
    run = matrix_run(US, share=share)
    verdicts = {(c.backend, c.ceiling): c.verdict for c in ceiling_checks(Aggregate(run, 1000))}
    assert verdicts == {("fastapi-sql", "asgi-raw"): "missed", ("flask-sql", "wsgi-raw"): "met"}  # no -orm, no ceiling
    text = report.markdown(run)
    assert "- **flask-sql** ÷ wsgi-raw, GET /api/v1/posts/{id}: 0.85 [0.85–0.85]× — ✅ met" in text
    assert "- **fastapi-sql** ÷ asgi-raw, GET /api/v1/posts/{id}: 0.70 [0.70–0.70]× — ❌ missed" in text
    assert "fastapi-sql ÷ asgi-raw, detail: 0.70 [0.70–0.70]× (missed; target ≥ 0.8×)" in report.terminal_table(run)


def test_a_ratio_whose_ci_straddles_the_target_is_inconclusive():
    samples = {
        ("wsgi-raw", "list"): [1000] * 5,
        ("django-sql", "list"): [700, 900, 750, 880, 820],  # 0.7–0.9 round by round
    }
    run = rounds_run(samples)
    run["settings"].update(concurrency=[64], data_size=[1000], workers=2)
    (check,) = ceiling_checks(Aggregate(run, 1000))
    assert check.ratio.low < 0.8 < check.ratio.high and check.verdict == "inconclusive"


def test_the_backends_table_lists_the_tuning_applied_and_each_ceiling():
    from finboard.bench.plan import backend_info
    from finboard.bench.report_setup import backends_section
    from finboard.registry import FASTAPI_SQL, FLASK_ORM

    run = {"backends": {"fastapi-sql": backend_info("fastapi-sql", FASTAPI_SQL, None, docker=False)}}
    run["backends"]["flask-orm"] = backend_info("flask-orm", FLASK_ORM, None, docker=False)
    run["backends"]["raw"] = {"framework": "recorded before the matrix", "status": "ok"}
    rows = {line.split(" | ")[0].strip("| "): line for line in backends_section(run).splitlines()}
    assert "| sql | — | uvloop event loop; httptools HTTP parser; JSON serialised once" in rows["fastapi-sql"]
    assert rows["fastapi-sql"].count("asgi-raw") == 1 and "| the framework's defaults | wsgi-raw |" in rows["flask-orm"]
    assert "| not recorded | raw |" in rows["raw"]  # an older name of wsgi-raw: a ceiling is its own, by any name
