"""The seed's tables measured: install closure, lines of code (cloc), pools from each backend's configuration."""

from __future__ import annotations

import json
import shutil
from importlib import metadata

import pytest
from click.testing import CliRunner
from packaging.requirements import Requirement

from finboard.bench import seed_report, seedtables
from finboard.bench.cli import bench
from tests.bench.helpers import made_up_run

MATRIX = ["flask-orm", "flask-sql", "fastapi-orm", "fastapi-sql", "django-orm", "django-sql", "wsgi-raw", "asgi-raw"]


def test_closure_follows_requirements_and_their_extras():
    found = seedtables.closure([Requirement("psycopg[pool]")])
    assert {"psycopg", "psycopg-pool"} <= set(found)  # the extra's requirement is followed
    assert "psycopg-pool" not in seedtables.closure([Requirement("psycopg")])
    # every distribution the FastAPI extra needs, directly or not, is in its closure
    fastapi = seedtables.closure(seedtables._root_requirements(("fastapi",)))
    assert {"fastapi", "starlette", "uvicorn", "anyio", "pydantic", "pydantic-core", "flask"} <= set(fastapi)


def test_installed_sizes_follow_each_registry_entrys_extra():
    sizes = seedtables.installed_sizes([*MATRIX, "fastapi-sql@granian", "nope"])
    django = sizes["django-orm"]
    assert (
        django["extras"] == ["django"]
        and django["added"] == sorted(set(django["added"]))
        and "django" in django["added"]
    )
    expected = seedtables.distribution_bytes(metadata.distribution("Django"))
    assert expected > 1e6
    assert django["added_mb"] >= round(expected / 1e6, 1) - 0.1  # Django's own files are part of what it adds
    assert sizes["flask-orm"]["added_mb"] == 0.0 and sizes["flask-orm"]["mb"] == sizes["wsgi-raw"]["mb"] > 10
    assert sizes["fastapi-orm"]["mb"] == pytest.approx(
        sizes["flask-orm"]["mb"] + sizes["fastapi-orm"]["added_mb"], abs=0.11
    )
    assert (
        sizes["asgi-raw"] == sizes["fastapi-sql"] == sizes["fastapi-orm"] == sizes["fastapi-sql@granian"]
    )  # one extra
    assert sizes["nope"]["mb"] is None and sizes["nope"]["note"] == "not a registered backend"


def test_lines_of_code_split_the_adapter_from_its_data_layers_reads():
    counts = seedtables.lines_of_code([*MATRIX, "fastapi"])
    orm, sql = counts["django-orm"], counts["django-sql"]
    assert orm["adapter"] == sql["adapter"]  # one adapter, two data layers
    assert orm["adapter"]["paths"] == ["backends/django"]
    assert orm["data_layer"]["layer"] == "orm" and orm["data_layer"]["paths"] == [
        "backends/django/forum/queries.py", "backends/django/forum/serializers.py"
    ]  # fmt: skip
    assert sql["data_layer"]["layer"] == "sql" and sql["data_layer"]["paths"] == ["finboard/rawsql"]
    # the ORM's reads are counted for its layer, not again in the adapter
    whole = seedtables._cloc(shutil.which("cloc"), "django", ("backends/django",))
    assert orm["adapter"]["code"] + orm["data_layer"]["code"] == whole["code"]
    assert orm["adapter"]["files"] == whole["files"] - 2
    # every -sql backend and ceiling shares the one SQL layer
    assert (
        len({json.dumps(counts[n]["data_layer"], sort_keys=True) for n in MATRIX if n.endswith(("-sql", "-raw"))}) == 1
    )
    assert counts["wsgi-raw"]["adapter"]["paths"] == ["backends/raw/wsgi.py", "backends/raw/routing.py"]
    assert counts["fastapi"] == counts["fastapi-orm"]  # the old name is the -orm entry
    assert all(c["adapter"]["code"] > 0 and c["data_layer"]["code"] > 0 for c in counts.values())


def test_pools_are_every_pool_each_backend_holds_under_its_own_environment():
    pools = seedtables.pool_settings(MATRIX, 7)
    assert {name: [p["size"] for p in held] for name, held in pools.items()} == {
        **dict.fromkeys(MATRIX, [7]),
        "fastapi-sql": [7, 7],
    }  # DB_POOL_SIZE reaches every pool; FastAPI on the SQL layer holds two
    writes, reads = pools["fastapi-sql"]
    assert writes["library"].startswith("SQLAlchemy") and writes["role"] == "writes"
    assert reads["library"].startswith("psycopg_pool.AsyncConnectionPool") and reads["role"] == "reads"
    assert pools["asgi-raw"][0]["library"] == reads["library"]
    assert pools["wsgi-raw"][0]["library"].startswith("psycopg_pool.ConnectionPool")
    assert pools["fastapi-orm"][0]["timeout_s"] == pools["flask-orm"][0]["timeout_s"] == 10
    django = pools["django-sql"][0]
    assert django["timeout_s"] == 3 and django["persistent"] == "pooled (CONN_MAX_AGE=0)"
    assert "SQL layer" in django["role"] and "SQL layer" not in pools["django-orm"][0]["role"]
    assert all(p["overflow"] == 0 and p["checked_on_checkout"] for held in pools.values() for p in held)


def test_the_report_reads_the_matrix_tables_and_those_recorded_before_it():
    text = seed_report.markdown(seedtables.collect(["fastapi-sql", "django-orm"], 5) | {"images": {}})
    assert "| fastapi-sql | `backends/fastapi` |" in text and "| sql | `finboard/rawsql` |" in text
    assert "| fastapi-sql | psycopg_pool.AsyncConnectionPool (finboard.rawsql.async_pool) | reads | 5 |" in text
    old = {
        "lines_of_code": {"raw": {"paths": ["backends/raw"], "files": 4, "code": 300, "comment": 9, "blank": 9}},
        "pools": {"raw": {"library": "psycopg_pool.ConnectionPool", "size": 5, "overflow": 0}},
    }
    text = seed_report.markdown(old)
    assert (
        "| raw | `backends/raw` | 300 | — | — | — |" in text and "| raw | psycopg_pool.ConnectionPool | — | 5 |" in text
    )


def test_images_say_why_there_is_no_size(monkeypatch):
    monkeypatch.setattr(seedtables.environment, "docker_engine", lambda: None)
    why = "n/a: no Docker engine (no `docker` answering on this machine)"
    assert seedtables.image_sizes(["flask"]) == {"flask": why}


def test_tables_command_prints_markdown_and_json():
    runner = CliRunner()
    text = runner.invoke(bench, ["tables", "--backends", "wsgi-raw,django-orm"])
    assert text.exit_code == 0, text.output
    assert "### Lines of code per adapter" in text.output and "| django-orm | `backends/django` |" in text.output
    document = json.loads(runner.invoke(bench, ["tables", "--backends", "wsgi-raw", "--json"]).output)
    assert set(document) == {"installed", "lines_of_code", "pools", "images"} and list(document["pools"]) == [
        "wsgi-raw"
    ]


def test_production_table_names_the_workers_and_the_best_cell():
    run = made_up_run({("flask", "list", 1000, "off"): 900.0, ("raw", "list", 1000, "off"): 2000.0})
    text = seed_report.production_section(run)
    assert "| flask | 2 | 900 req/s at 64 connections |" in text
    assert "not the seed's 4" in text
    run["settings"]["workers"] = 4
    assert "not the seed's" not in seed_report.production_section(run)
