"""The click group: registered on Flask's CLI, clear errors for bad options, a full disk, a missing wrk."""

from __future__ import annotations

import errno

import pytest
from click.testing import CliRunner

from finboard.bench import cli_run, results
from finboard.bench.cli import bench, parse_sizes
from tests.bench.helpers import RECORDED_RUN, recorded_run


def run(*args: str):
    return CliRunner().invoke(bench, list(args))


def test_bench_is_registered_on_flasks_cli():
    from finboard.app import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "x" * 32, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert "bench" in app.cli.commands
    commands = {"backends", "serve", "run", "report", "compare", "agree", "tables", "profile"}
    assert set(app.cli.commands["bench"].commands) == commands


def test_backends_lists_every_registered_backend():
    from finboard.registry import registered

    result = run("backends")
    assert result.exit_code == 0, result.output
    for name in registered():
        assert name in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--concurrency", "0"], "at least 1"),
        (["--concurrency", "ten"], "comma-separated list of whole numbers"),
        (["--cache", "maybe"], "'maybe' is not one of 'off', 'on', 'both'"),
        (["--scenarios", "list,bogus"], "unknown scenario(s) bogus"),
        (["--backends", "flask,tornado"], "unknown backend(s) tornado"),
        (["--target", "not-a-url"], "not a URL like http://127.0.0.1:8000"),
        (["--duration", "0"], "must be at least 1s"),
        (["--duration", "soon"], "not a duration"),
        (["--repeat", "0"], "0 is not in the range"),
        (["--database", "sqlite:///x.db"], "needs PostgreSQL"),
        (["--target", "http://127.0.0.1:9", "--database", "postgresql://root@127.0.0.1/x"], "--target loads"),
        (["--data-size", "0"], "every data size must be between 1 and 5,000,000 posts"),
        (["--data-size", "10000,6000000"], "'6000000': every data size must be between 1 and 5,000,000"),
        (["--data-size", "10000,lots"], "'lots' is not a number of posts"),
        (["--data-size", "1e6"], "'1e6' is not a number of posts"),
        (["--data-size", ","], "names no data size"),
        (["--database", "postgresql://root@127.0.0.1/x", "--data-size", "100,200"], "--database keeps one database"),
        (["--target", "http://127.0.0.1:9", "--data-size", "100,200"], "a list of sizes needs servers started here"),
        (["--backends", "flask,raw", "--aa", "django"], "'django-orm' is not one of the backends this run measures"),
    ],
)
def test_bad_options_are_clear_click_errors(args, message):
    result = run("run", *args)
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_data_sizes_are_a_sorted_comma_separated_list():
    assert parse_sizes("1000000,10000") == [10_000, 1_000_000]
    assert parse_sizes(" 10k, 1M ,10_000") == [10_000, 1_000_000]
    assert parse_sizes("5,5") == [5]
    assert parse_sizes("5000000") == [5_000_000]


def test_run_passes_every_size_and_quick_keeps_one_small_size(monkeypatch):
    seen = []
    monkeypatch.setattr(cli_run, "execute", seen.append)
    assert run("run", "--data-size", "1000000,10000").exit_code == 0
    assert run("run", "--quick").exit_code == 0
    assert run("run", "--quick", "--data-size", "500,2000").exit_code == 0
    assert run("run").exit_code == 0
    assert [o.data_size for o in seen] == [[10_000, 1_000_000], [1000], [500, 2000], [10_000]]
    assert seen[0].sizes == [10_000, 1_000_000] and seen[0].as_dict()["data_size"] == [10_000, 1_000_000]


def test_serve_unknown_backend():
    result = run("serve", "tornado")
    assert result.exit_code == 2 and "unknown backend 'tornado'" in result.output


def test_run_without_wrk_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    result = run("run", "--quick", "--out", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert "wrk is not installed" in result.output and "apt-get install -y wrk" in result.output
    assert not (tmp_path / "out").exists()  # nothing was started or written


def full_disk(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_a_full_disk_while_writing_results_is_a_clear_message(monkeypatch, tmp_path):
    monkeypatch.setattr(results.os, "replace", full_disk)
    with pytest.raises(results.ResultsError, match="the disk is full"):
        results.write_run(recorded_run(), tmp_path / "run.json")
    assert list(tmp_path.iterdir()) == []  # no half-written file left behind


def test_a_full_disk_while_writing_the_report(monkeypatch, tmp_path):
    from pathlib import Path

    monkeypatch.setattr(Path, "write_text", full_disk)
    result = run("report", str(RECORDED_RUN), "--out", str(tmp_path))
    assert result.exit_code == 1 and "the disk is full" in result.output


def test_compare_rejects_a_bad_gate():
    result = run("compare", str(RECORDED_RUN), str(RECORDED_RUN), "--fail-below", "0")
    assert result.exit_code == 2 and "--fail-below" in result.output


def test_an_unreachable_database_is_a_clear_message_before_anything_starts(tmp_path):
    import shutil

    if shutil.which("wrk") is None:
        pytest.skip("wrk is checked first; this machine has none")
    result = run("run", "--quick", "--database", "postgresql://nobody@127.0.0.1:9/none", "--out", str(tmp_path))
    assert result.exit_code == 1
    assert "PostgreSQL is not reachable at postgresql://nobody@127.0.0.1:9/none" in result.output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("status", "problem"),
    [
        ("failed_verification", "detail: GET /api/v1/posts/7 answered 500"),
        ("died", "flask exited with code -9 under load"),
        ("failed_to_start", "missing dependencies: gunicorn is not installed"),
    ],
)
def test_a_backend_that_fails_makes_the_run_exit_non_zero_after_writing_the_others(
    monkeypatch, tmp_path, status, problem
):
    from finboard.bench import runner

    class FakeRun:  # what BenchRun.execute returns when one backend failed: the others' figures are kept
        def __init__(self, options):
            self.dir = tmp_path
            self.json_path = tmp_path / "run.json"
            self.write_problem = None

        def execute(self):
            document = recorded_run()
            document["backends"]["flask"].update(status=status, problems=[problem])
            results.write_run(document, self.json_path)
            return document

    monkeypatch.setattr(runner, "BenchRun", FakeRun)
    result = run("run", "--quick", "--out", str(tmp_path))
    assert result.exit_code == 3, result.output
    assert f"error: flask: {status.replace('_', ' ')}: {problem}" in result.output
    assert "The files above hold the results of the others." in result.output
    assert (tmp_path / "run.json").exists() and (tmp_path / "report.md").exists()
