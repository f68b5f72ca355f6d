"""``flask bench profile``'s refusals: bad options, no py-spy, py-spy refused, an unreachable database."""

from __future__ import annotations

import os
import stat

import pytest
from click.testing import CliRunner

from finboard.bench import pyspy
from finboard.bench.cli import bench


def profile(*args: str):
    return CliRunner().invoke(bench, ["profile", *args])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--scenarios", "create"], "create write or log in: the profile samples reads only"),
        (["--scenarios", "list,bogus"], "unknown scenario(s) bogus"),
        (["--backends", "flask-sql,tornado"], "unknown backend(s) tornado"),
        (["--data-size", "1000,2000"], "give one data size"),
        (["--data-size", "lots"], "'lots' is not a number of posts"),
        (["--duration", "0"], "must be at least 1s"),
        (["--sample-rate", "5"], "5 is not in the range 10<=x<=1000"),
        (["--workers", "0"], "0 is not in the range"),
        (["--server", "tornado"], "'tornado' is not one of 'default', 'granian'"),
        (["--database", "sqlite:///x.db"], "needs PostgreSQL"),
    ],
)
def test_bad_options_are_clear_click_errors_before_anything_starts(args, message, tmp_path):
    result = profile(*args, "--out", str(tmp_path / "out"))
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not (tmp_path / "out").exists()


def test_without_py_spy_it_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setattr(pyspy, "BINARY", str(tmp_path / "no-such-py-spy"))
    result = profile("--out", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert "py-spy is not installed" in result.output and "pip install py-spy==0.4.3" in result.output
    assert not (tmp_path / "out").exists()


def test_py_spy_is_pinned_where_the_bench_extra_is():
    from finboard.settings import PROJECT_ROOT

    assert pyspy.PIN in (PROJECT_ROOT / "requirements-dev.txt").read_text().splitlines()


def test_an_unreachable_database_is_a_clear_message(tmp_path):
    pyspy.find_pyspy()  # installed with requirements-dev.txt: the check after it must be the database's
    result = profile("--database", "postgresql://nobody@127.0.0.1:9/none", "--out", str(tmp_path / "out"))
    assert result.exit_code == 1, result.output
    assert "PostgreSQL is not reachable at postgresql://nobody@127.0.0.1:9/none" in result.output
    assert not (tmp_path / "out").exists()


def fake_pyspy(tmp_path, words: str, code: int) -> str:
    script = tmp_path / "py-spy"
    script.write_text(f"#!/bin/sh\necho '{words}'\nexit {code}\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


def test_a_refused_ptrace_says_why(tmp_path):
    binary = fake_pyspy(tmp_path, "Permission Denied: Try running again with elevated permissions", 1)
    recorder = pyspy.Recorder(os.getpid(), tmp_path / "out.txt", tmp_path / "py-spy.log", binary=binary)
    with pytest.raises(pyspy.ProfilerError) as caught:
        recorder.start()
    message = str(caught.value)
    assert message.startswith("py-spy exited with code 1: Permission Denied")
    assert "py-spy needs ptrace on the server's processes" in message and "SYS_PTRACE" in message


def test_a_py_spy_that_writes_nothing_is_an_error(tmp_path):
    binary = fake_pyspy(tmp_path, "py-spy> Sampling process 200 times a second", 0)
    recorder = pyspy.Recorder(os.getpid(), tmp_path / "out.txt", tmp_path / "py-spy.log", binary=binary)
    recorder.start()
    with pytest.raises(pyspy.ProfilerError, match="py-spy wrote no profile"):
        recorder.stop()


def test_the_record_command_samples_every_workers_python_without_pausing_it(tmp_path):
    argv = pyspy.record_argv("py-spy", 42, tmp_path / "x.txt", 250)
    assert argv[:3] == ["py-spy", "record", "--pid"] and argv[3] == "42"
    assert {"--subprocesses", "--nonblocking", "--gil"} <= set(argv)
    assert argv[argv.index("--format") + 1] == "raw" and argv[argv.index("--rate") + 1] == "250"
