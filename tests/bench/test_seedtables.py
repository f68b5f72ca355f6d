"""The seed's tables measured: install closure, lines of code (cloc), pools from each backend's configuration."""

from __future__ import annotations

import json
from importlib import metadata

from click.testing import CliRunner
from packaging.requirements import Requirement

from finboard.bench import seed_report, seedtables
from finboard.bench.cli import bench
from tests.bench.helpers import made_up_run

BACKENDS = ["flask", "fastapi", "django", "raw"]


def test_closure_follows_requirements_and_their_extras():
    found = seedtables.closure([Requirement("psycopg[pool]")])
    assert {"psycopg", "psycopg-pool"} <= set(found)  # the extra's requirement is followed
    assert "psycopg-pool" not in seedtables.closure([Requirement("psycopg")])
    # every distribution the FastAPI extra needs, directly or not, is in its closure
    fastapi = seedtables.closure(seedtables._root_requirements(("fastapi",)))
    assert {"fastapi", "starlette", "uvicorn", "anyio", "pydantic", "pydantic-core", "flask"} <= set(fastapi)


def test_installed_sizes_sum_the_record_files_of_the_closure():
    sizes = seedtables.installed_sizes(BACKENDS)
    django = sizes["django"]
    assert django["added"] == sorted(set(django["added"])) and "django" in django["added"]
    expected = seedtables.distribution_bytes(metadata.distribution("Django"))
    assert expected > 1e6
    assert django["added_mb"] >= round(expected / 1e6, 1) - 0.1  # Django's own files are part of what it adds
    assert sizes["flask"]["added_mb"] == 0.0 and sizes["flask"]["mb"] == sizes["raw"]["mb"] > 10
    assert sizes["fastapi"]["mb"] == sizes["flask"]["mb"] + sizes["fastapi"]["added_mb"]


def test_lines_of_code_are_cloc_counts_of_each_adapters_files():
    counts = seedtables.lines_of_code(BACKENDS)
    raw = counts["raw"]
    source = (seedtables.PROJECT_ROOT / "backends/raw/app.py").read_text().splitlines()
    assert raw["paths"] == ["backends/raw"]
    # cloc counts code lines only: fewer than the file's lines, more than its non-blank, non-# lines minus docstrings
    assert 0 < raw["code"] < len(source) + 50
    assert counts["django"]["files"] > counts["raw"]["files"]
    assert all(c["code"] > 0 and c["comment"] >= 0 for c in counts.values())


def test_pool_settings_come_from_each_backends_configuration():
    pools = seedtables.pool_settings(BACKENDS, 7)
    assert {name: p["size"] for name, p in pools.items()} == dict.fromkeys(BACKENDS, 7)  # DB_POOL_SIZE reaches all
    assert pools["fastapi"]["timeout_s"] == pools["flask"]["timeout_s"] == 10
    assert pools["django"]["timeout_s"] == 3 and pools["django"]["persistent"] == "pooled (CONN_MAX_AGE=0)"
    assert all(p["overflow"] == 0 and p["checked_on_checkout"] for p in pools.values())


def test_images_say_why_there_is_no_size(monkeypatch):
    monkeypatch.setattr(seedtables.environment, "docker_engine", lambda: None)
    why = "n/a: no Docker engine (no `docker` answering on this machine)"
    assert seedtables.image_sizes(["flask"]) == {"flask": why}


def test_tables_command_prints_markdown_and_json():
    runner = CliRunner()
    text = runner.invoke(bench, ["tables", "--backends", "raw,django"])
    assert text.exit_code == 0, text.output
    assert "### Lines of code per adapter" in text.output and "| django | `backends/django` |" in text.output
    document = json.loads(runner.invoke(bench, ["tables", "--backends", "raw", "--json"]).output)
    assert set(document) == {"installed", "lines_of_code", "pools", "images"} and list(document["pools"]) == ["raw"]


def test_production_table_names_the_workers_and_the_best_cell():
    run = made_up_run({("flask", "list", 1000, "off"): 900.0, ("raw", "list", 1000, "off"): 2000.0})
    text = seed_report.production_section(run)
    assert "| flask | 2 | 900 req/s at 64 connections |" in text
    assert "not the seed's 4" in text
    run["settings"]["workers"] = 4
    assert "not the seed's" not in seed_report.production_section(run)
