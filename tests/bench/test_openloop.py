"""Open-loop latency (``--rate``): the histogram arithmetic, and the paced script's accounting on a serial server.

The live tests use a server that answers one request at a time after a fixed
20 ms sleep, so its capacity is 50 requests/s by construction: under it, the
open-loop median is the service time (as a light closed-loop load sees it);
at twice it, a queue must build up second by second — which closed-loop wrk
would hide — and the unanswered requests show as backlog.
"""

from __future__ import annotations

import json
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from finboard.bench import openloop, wrk
from finboard.bench.scenarios import Request, write_lua

SERVICE_S = 0.020  # one request at a time: capacity 50 requests/s


def test_percentiles_follow_hdrhistogram_rank_rule():
    histogram = [(1000.0, 50), (2000.0, 40), (5000.0, 9), (90000.0, 1)]
    assert openloop.percentile(histogram, 50) == 1000.0  # the 50th of 100 values
    assert openloop.percentile(histogram, 51) == 2000.0
    assert openloop.percentile(histogram, 99) == 5000.0
    assert openloop.percentile(histogram, 99.99) == 90000.0
    ladder = openloop.ladder(histogram)
    assert list(ladder) == ["p50", "p75", "p90", "p99", "p99.9", "p99.99", "max", "mean"]
    assert ladder["p90"] == 2.0 and ladder["max"] == 90.0
    assert ladder["mean"] == pytest.approx((50 * 1 + 40 * 2 + 9 * 5 + 90) / 100)
    assert openloop.ladder([]) == dict.fromkeys(ladder, None)


def test_growth_compares_the_last_third_of_the_seconds_with_the_first():
    rows = [{"second": s, "requests": 10, "mean_ms": m, "max_ms": m} for s, m in enumerate([10, 10, 20, 30, 40, 40])]
    assert openloop.growth(rows) == pytest.approx(4.0)
    assert openloop.growth(rows[:1]) is None


def test_parse_rates_sorts_and_refuses_nonsense():
    assert openloop.parse_rates("800, 200,400,200") == [200.0, 400.0, 800.0]
    for bad, message in (("fast", "not a rate"), ("0", "more than 0"), ("", "names no rate"), ("nan", "more than 0")):
        with pytest.raises(ValueError, match=message):
            openloop.parse_rates(bad)


def test_parse_open_loop_document():
    document = {
        "duration_us": 2_000_000,
        "requests": 40,
        "bytes": 400,
        "statuses": {"200": 38, "500": 2},
        "errors": {},
        "latency_us": {"percentiles": {"50": 100}},
        "open_loop": {
            "rate": 25.0,
            "connections": 4,
            "elapsed_us": 2_000_000,
            "due": 50,
            "sent": 41,
            "completed": 40,
            "latency_hist_us": [[3000, 30], [250000, 10]],
            "send_lag_hist_us": [[0, 35], [4000, 5]],
            "timeline": [[0, 25, 25 * 3000, 3000], [1, 15, 15 * 200000, 250000]],
        },
    }
    result = openloop.parse_open_loop(document, expected=[200])
    loop = result["open_loop"]
    assert result["successes"] == 38 and result["rps"] == 19.0
    # latency comes from the intended-time histogram, not wrk's own (which said 0.1 ms)
    assert result["latency_ms"]["p50"] == 3.0 and result["latency_ms"]["p90"] == 250.0
    assert loop["backlog"] == 10 and loop["achieved_rps"] == 20.0
    assert loop["send_lag_ms"]["p99"] == 4.0
    assert [r["mean_ms"] for r in loop["timeline"]] == [3.0, 200.0]
    assert loop["latency_growth"] == pytest.approx(200 / 3, rel=1e-3)
    assert loop["histogram_us"] == [[3000.0, 30], [250000.0, 10]]
    del document["open_loop"]
    with pytest.raises(wrk.WrkError, match="open_loop"):
        openloop.parse_open_loop(document)


class _Serial(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall between them
    lock = threading.Lock()

    def do_GET(self):  # noqa: N802 - http.server's naming
        with self.lock:  # one request at a time, a fixed service time: capacity 1 / SERVICE_S
            time.sleep(SERVICE_S)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass

    def handle(self):
        try:
            super().handle()
        except OSError:  # wrk hangs up mid-answer when its time is over
            pass


@contextmanager
def serial_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Serial)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def requests_file(tmp_path):
    return write_lua(tmp_path / "requests.lua", [Request("GET", "/item", "", 200)], [200])


def test_under_capacity_open_loop_median_is_the_closed_loop_median(tmp_path, requests_file):
    with serial_server() as url:
        closed = wrk.run_wrk(
            url, requests_file=requests_file, out_file=tmp_path / "c.json", connections=1, threads=1,
            duration_s=1, timeout_s=5,
        ).result  # fmt: skip
        opened = openloop.run_open_loop(
            url, rate=10, requests_file=requests_file, out_file=tmp_path / "o.json", duration_s=2, timeout_s=5,
            connections=4,
        ).result  # fmt: skip
    loop = opened["open_loop"]
    assert loop["backlog"] == 0 and loop["completed"] >= loop["due"] >= 18  # every due request answered
    assert opened["statuses"] == {"200": loop["completed"]}
    # a fifth of capacity: no queue, so the median is the service time either way
    assert opened["latency_ms"]["p50"] >= SERVICE_S * 1000
    assert opened["latency_ms"]["p50"] == pytest.approx(closed["latency_ms"]["p50"], rel=0.25)
    assert loop["send_lag_ms"]["p50"] < SERVICE_S * 1000  # the sends kept to their schedule
    assert sum(n for _, n in loop["histogram_us"]) == loop["completed"]


def test_over_capacity_latency_grows_with_time_and_the_backlog_shows(tmp_path, requests_file):
    rate = 2 / SERVICE_S  # twice what the server can answer
    with serial_server() as url:
        opened = openloop.run_open_loop(
            url, rate=rate, requests_file=requests_file, out_file=tmp_path / "o.json", duration_s=3, timeout_s=10,
            connections=8,
        ).result  # fmt: skip
    loop = opened["open_loop"]
    # half of what is offered gets answered: the rest is still queued when the cell ends
    assert loop["achieved_rps"] < 0.7 * rate
    assert loop["backlog"] > 0.3 * loop["due"]
    # by intended send time, each second waits longer than the one before: the queue grows
    means = [row["mean_ms"] for row in loop["timeline"]]
    assert len(means) >= 2 and means == sorted(means)
    assert loop["latency_growth"] > 1.5
    # the tail is queueing, many service times long — closed-loop wrk would report ~20 ms here
    assert opened["latency_ms"]["p99"] > 10 * SERVICE_S * 1000


@pytest.mark.postgres
def test_run_with_rate_writes_open_loop_cells_a_report_table_and_a_chart(tmp_path, monkeypatch):
    """A real ``flask bench run --rate``: raw on a seeded database, two offered loads, one scenario."""
    from finboard.bench import progress, runner, runrecord
    from finboard.bench.cli import execute
    from finboard.registry import RAW
    from tests.bench.test_runner import small
    from tests.databases import require_postgres

    require_postgres()
    monkeypatch.setattr(runner, "registered", lambda: {"wsgi-raw": RAW})
    drawn = []  # (label, share of the plan done) each time the progress bar is drawn

    class Recording(progress.Progress):
        def draw(self, force: bool = False) -> None:
            drawn.append((self.label, self.fraction()))
            super().draw(force)

    monkeypatch.setattr(runrecord, "Progress", Recording)
    run = execute(small(tmp_path, backends=["wsgi-raw"], scenarios=["detail"], rate=[20.0, 40.0], rate_connections=4))
    # the bar counts each open-loop cell when it is over (it sat still through them before), and ends full
    shares = [share for _, share in drawn]
    assert shares == sorted(shares) and shares[-1] == 1.0
    at = {rate: next(s for label, s in drawn if f"open loop at {rate} req/s" in label) for rate in (20, 40)}
    cell = next(s for label, s in drawn if "· detail · c=4" in label)
    assert cell < at[20] < at[40] < 1.0
    cells = run["open_loop"]
    assert [(c["backend"], c["scenario"], c["rate"], c["status"]) for c in cells] == [
        ("wsgi-raw", "detail", 20.0, "ok"),
        ("wsgi-raw", "detail", 40.0, "ok"),
    ]
    for cell in cells:
        assert cell["connections"] == 4 and cell["data_size"] == 100
        assert cell["completed"] > 0 and cell["statuses"] == {"200": cell["completed"]}
        ladder = [cell["latency_ms"][k] for k in ("p50", "p75", "p90", "p99", "p99.9", "p99.99", "max")]
        assert all(v is not None for v in ladder) and ladder == sorted(ladder)
        assert sum(n for _, n in cell["histogram_us"]) == cell["completed"]
    directory = next(tmp_path.glob("*/run.json")).parent
    written = json.loads((directory / "run.json").read_text())
    assert written["open_loop"] == cells
    assert (directory / "openloop-detail-off.png").stat().st_size > 0
    report = (directory / "report.md").read_text()
    assert "## Latency at a fixed offered load (open loop)" in report
    assert "| detail | off | wsgi-raw | 20 |" in report and "| detail | off | wsgi-raw | 40 |" in report


def test_report_without_rate_says_how_to_get_it():
    from finboard.bench.openloop_report import section

    assert "--rate" in section({"open_loop": []})


def test_cli_refuses_a_bad_rate():
    from click.testing import CliRunner

    from finboard.bench.cli import bench

    result = CliRunner().invoke(bench, ["run", "--rate", "200,fast"])
    assert result.exit_code == 2 and "'fast' is not a rate" in result.output
