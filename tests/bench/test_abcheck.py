"""flask bench agrees with ApacheBench: parsing ab's report, and one real URL measured by both within 10 %."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from finboard.bench import abcheck

AB_REPORT = """
Server Software:        gunicorn
Concurrency Level:      8
Time taken for tests:   5.000 seconds
Complete requests:      10000
Failed requests:        12
   (Connect: 0, Receive: 0, Length: 12, Exceptions: 0)
Non-2xx responses:      488
Keep-Alive requests:    0
Requests per second:    2000.00 [#/sec] (mean)
"""


def test_parse_ab_counts_only_good_answers():
    result = abcheck.parse_ab(AB_REPORT)
    assert result["requests"] == 10000 and result["failed"] == 12 and result["non_2xx"] == 488
    assert result["successes"] == 9500
    assert result["rps"] == 1900.0  # not ab's own 2000, which counts the 404s and failures too
    assert result["reported_rps"] == 2000.0
    with pytest.raises(abcheck.AgreementError, match="ab printed no result"):
        abcheck.parse_ab("apr_socket_connect(): Connection refused (111)")


def test_agreement_is_the_ratio_of_the_medians_within_ten_percent():
    close = abcheck.Agreement("http://x/", 8, 5, flask_bench=[1000, 1040], ab=[980, 1100])
    assert close.ratio == pytest.approx(1020 / 1040) and close.agrees
    apart = abcheck.Agreement("http://x/", 8, 5, flask_bench=[1000], ab=[1200])
    assert not apart.agrees and "DISAGREE" in apart.lines()[-1]
    assert abcheck.Agreement("http://x/", 8, 5).ratio is None


def test_missing_ab_is_a_clear_message(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(abcheck.AgreementError, match="apt-get install -y apache2-utils"):
        abcheck.find_ab()


@pytest.mark.postgres
def test_flask_bench_and_ab_are_compared_on_a_real_backend_url():
    """raw (gunicorn, 1 worker) on a seeded throwaway database: one post's URL, both tools.

    The comparison itself is checked (both tools measured twice, alternating, the ratio of their
    medians, the verdict and the exit code that follow from it), not that they agree: whether
    they do is a measurement (docs/bench-results.md: `flask bench agree`, ratio 1.003), and
    a timed assertion here would fail whenever the suite shares the machine with other load.
    """
    from statistics import median

    from finboard.bench import database
    from finboard.bench.cli import bench
    from finboard.bench.plan import server_env
    from finboard.registry import RAW
    from finboard.serving import start_backend
    from tests.databases import require_postgres

    require_postgres()
    with database.throwaway_database() as url:
        database.migrate(url)
        database.seed_if_empty(url, 100)
        env = server_env(url, "s" * 32, 2, "off", "")
        with start_backend(RAW, env=env, workers=1) as server:
            target = f"{server.base_url}/api/v1/posts/1"
            result = CliRunner().invoke(bench, ["agree", target, "--concurrency", "4", "--duration", "3s"])
    print(result.output)
    lines = result.output.splitlines()
    assert lines[0].startswith(f"{target}: 4 connections, 3s"), result.output
    fb = [float(v.replace(",", "")) for v in lines[1].split(":")[1].split("req/s")[0].split(", ")]
    ab = [float(v.replace(",", "")) for v in lines[2].split(":")[1].split("req/s")[0].split(", ")]
    assert len(fb) == len(ab) == 2 and min(fb + ab) > 0
    ratio = median(fb) / median(ab)
    printed = float(lines[3].split("=")[1].split(":")[0])
    assert printed == pytest.approx(ratio, abs=0.01)  # the printed figures are rounded to req/s
    agrees = "agree (tolerance ±10%)" in lines[3]
    assert agrees or "DISAGREE (tolerance ±10%)" in lines[3]
    assert result.exit_code == (0 if agrees else 1), result.output
    if abs(ratio - 1) > 0.11:
        assert not agrees
    if abs(ratio - 1) < 0.09:
        assert agrees
