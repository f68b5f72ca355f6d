"""wrk's results come from the Lua done() JSON: parsing, status tallies, tokens, a missing wrk."""

from __future__ import annotations

import json

import pytest

from finboard.bench import wrk
from finboard.bench.scenarios import Request, write_lua, write_tokens
from tests.bench.helpers import RECORDED_WRK, tiny_server


def test_parse_recorded_done_document():
    document = json.loads(RECORDED_WRK.read_text())
    result = wrk.parse_result(document)
    assert result["requests"] == 220
    assert result["statuses"] == {"200": 200, "404": 20}
    # only the expected status is a success; the 404s are errors of kind "status"
    assert result["successes"] == 200
    assert result["errors"] == {"status": 20, "connect": 0, "read": 0, "write": 0, "timeout": 0}
    # throughput is successes over the measured duration (summary.duration), not the nominal second
    assert result["duration_s"] == pytest.approx(1.007, abs=0.001)
    assert result["rps"] == pytest.approx(200 / 1.007113, rel=1e-3)
    assert result["error_rate"] == pytest.approx(20 / 220, rel=1e-3)
    assert result["latency_ms"]["p50"] == pytest.approx(15.036)
    assert result["latency_ms"]["p99.9"] == pytest.approx(64.056)
    assert result["latency_ms"]["max"] == pytest.approx(64.056)
    assert set(result["latency_ms"]) >= {"p50", "p75", "p90", "p99", "p99.9", "max"}


def test_parse_counts_timeouts_and_socket_errors_and_empty_histograms():
    document = json.loads(RECORDED_WRK.read_text())
    document.update(requests=0, statuses={}, errors={"connect": 3, "read": 1, "write": 0, "status": 0, "timeout": 7})
    result = wrk.parse_result(document, expected=[200])
    assert result["successes"] == 0 and result["rps"] == 0
    assert result["errors"]["timeout"] == 7 and result["errors"]["connect"] == 3
    assert result["error_rate"] == 1.0
    assert result["latency_ms"]["p50"] is None  # no response, no latency (not wrk's zeros)


def test_lua_script_tallies_statuses_per_thread_and_a_302_is_not_a_success(tmp_path):
    requests = [Request("GET", "/ok", "", 200)] * 3 + [Request("GET", "/moved", "", 200)]
    lua = write_lua(tmp_path / "requests.lua", requests, [200])
    with tiny_server() as (url, _handler):
        run = wrk.run_wrk(
            url, requests_file=lua, out_file=tmp_path / "out.json", connections=4, threads=2, duration_s=1, timeout_s=2
        )
    result = run.result
    assert result["threads"] == 2
    assert set(result["statuses"]) == {"200", "302"}
    assert result["successes"] == result["statuses"]["200"] > 0
    assert result["errors"]["status"] == result["statuses"]["302"] > 0
    assert result["requests"] == result["statuses"]["200"] + result["statuses"]["302"]
    # each thread starts at its own place in the list and rotates through it: about one in four is the 302
    assert 0.15 < result["statuses"]["302"] / result["requests"] < 0.35
    assert result["rps"] == pytest.approx(result["successes"] / result["duration_s"], rel=0.01)


def test_lua_script_sends_one_bearer_token_per_connection(tmp_path):
    body = json.dumps({"title": "t", "body": "b", "category": "stocks"})
    lua = write_lua(
        tmp_path / "requests.lua", [Request("POST", "/posts", "/api/v1/posts", 201, body, auth=True)], [201]
    )
    tokens = write_tokens(tmp_path / "tokens.lua", [f"token-{i}" for i in range(4)])
    with tiny_server() as (url, handler):
        run = wrk.run_wrk(
            url,
            requests_file=lua,
            out_file=tmp_path / "out.json",
            connections=4,
            threads=2,
            duration_s=1,
            timeout_s=2,
            tokens_file=tokens,
        )
        seen = set(handler.seen_tokens)
    assert run.result["statuses"].keys() == {"201"}  # no request went without a token
    assert seen == {f"token-{i}" for i in range(4)}


def test_lua_script_sends_a_session_cookie_per_connection_and_extra_headers(tmp_path):
    page = Request("GET", "/page", "", 304, session=True, headers=(("If-None-Match", '"v1"'),))
    lua = write_lua(tmp_path / "requests.lua", [page], [304])
    cookies = write_tokens(tmp_path / "cookies.lua", [f"session=member-{i}" for i in range(4)])
    with tiny_server() as (url, handler):
        run = wrk.run_wrk(
            url, requests_file=lua, out_file=tmp_path / "out.json", connections=4, threads=2, duration_s=1,
            timeout_s=2, tokens_file=cookies,
        )  # fmt: skip
        seen = set(handler.seen_cookies)
    assert run.result["statuses"].keys() == {"304"} and run.result["successes"] > 0  # every request revalidated
    assert seen == {f"session=member-{i}" for i in range(4)}  # as Cookie, not as a bearer token


def test_missing_wrk_is_a_clear_message(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(wrk.WrkError, match=r"apt-get install -y wrk"):
        wrk.find_wrk()
