"""Shared bits for the benchmark tests: the recorded fixtures and a tiny local HTTP server."""

from __future__ import annotations

import json
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from finboard.bench import precision, results

FIXTURES = Path(__file__).parent / "fixtures"
RECORDED_WRK = FIXTURES / "wrk-done.json"  # a real wrk done() document (18 detail ids + 2 missing posts)
# a real `flask bench run --quick --concurrency 8,64 --cache both --data-size 300,1000 --scenarios …` (version 2)
RECORDED_RUN = FIXTURES / "quick-run.json"
RECORDED_V1 = FIXTURES / "quick-run-v1.json"  # a real version 1 file (one size): read through results.upgrade


def rounds_run(samples: dict[tuple[str, str], list[float]], cpu: dict | None = None, aa: str | None = None) -> dict:
    """A results document from per-round req/s: {(backend, scenario): [rps of round 0, round 1, …]}.

    ``cpu`` gives the server's CPU seconds per round likewise (else 1 s per round); 10 s cells.
    """
    cpu = cpu or {}
    entries = []
    for (backend, scenario), values in samples.items():
        for repeat, rps in enumerate(values):
            seconds = cpu.get((backend, scenario), [1.0] * len(values))[repeat]
            figures = {"duration_s": 10.0, "requests": int(rps * 10), "successes": int(rps * 10), "rps": rps}
            resources = {"server_cpu_s": seconds, "postgres_cpu_s": seconds / 4, "pss_load": 50.0, "pss_peak": 60.0}
            entries.append(
                results.result_entry(
                    backend=backend, scenario=scenario, concurrency=64, repeat=repeat, cache="off", data_size=1000,
                    figures=figures, resources=resources, rss_idle=100.0, memory_idle={"rss": 100.0, "pss": 40.0},
                )
            )  # fmt: skip
    run = results.new_run("test", {}, {"repeat": max(len(v) for v in samples.values())})
    run["results"] = results.with_x_raw(entries)
    run["backends"] = {b: {"status": "ok", "problems": []} for b, _ in samples}
    run["aa"] = {"backend": aa}
    return precision.annotate(run)


def recorded_run() -> dict:
    return json.loads(RECORDED_RUN.read_text())


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like the real servers
    seen_tokens: set[str] = set()
    seen_cookies: set[str] = set()

    def _answer(self, status: int, body: bytes = b"ok", headers: dict | None = None) -> None:
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # noqa: N802 - http.server's naming
        if self.headers.get("Cookie"):
            type(self).seen_cookies.add(self.headers["Cookie"])
        if self.headers.get("If-None-Match") == '"v1"':
            self._answer(304, b"")
        elif self.path == "/moved":
            self._answer(302, b"", {"Location": "/login"})
        else:
            self._answer(200)

    def do_POST(self):  # noqa: N802
        length = int(self.headers.get("Content-Length", 0))
        self.rfile.read(length)
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            type(self).seen_tokens.add(auth[7:])
            self._answer(201)
        else:
            self._answer(401)

    def log_message(self, *args):  # quiet
        pass


@contextmanager
def tiny_server():
    """A keep-alive HTTP server on 127.0.0.1: 200 on GET (304 to ``If-None-Match: "v1"``), 302 on /moved,
    201/401 on POST by bearer token; it records the bearer tokens and cookies it saw."""
    _Handler.seen_tokens = set()
    _Handler.seen_cookies = set()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", _Handler
    finally:
        server.shutdown()
        server.server_close()


def made_up_run(
    rps: dict[tuple, float], *, concurrency: int = 64, rss: dict | None = None, startup: dict | None = None
):
    """A results document from made-up throughput: {(backend, scenario, data_size, cache): req/s}.

    ``rss`` and ``startup`` give each backend's idle RSS (MB) and startup (s); everything else is plausible.
    """
    from finboard.bench import results

    rss = rss or {}
    startup = startup or {}
    entries = []
    for (backend, scenario, size, cache), value in rps.items():
        figures = {
            "duration_s": 10.0,
            "requests": int(value * 10),
            "successes": int(value * 10),
            "error_rate": 0.0,
            "rps": value,
            "latency_ms": {"p50": 1000 / value * 8, "p99": 3000 / value * 8},
            "statuses": {"200": int(value * 10)},
        }
        idle = rss.get(backend, 100.0)
        resources = {"rss_load": idle * 1.1, "rss_peak": idle * 1.2, "cpu": {"avg": 150.0, "peak": 199.0}}
        entries.append(
            results.result_entry(
                backend=backend, scenario=scenario, concurrency=concurrency, repeat=0, cache=cache, data_size=size,
                figures=figures, resources=resources, rss_idle=idle, startup_s=startup.get(backend, 0.5),
            )
        )  # fmt: skip
    sizes = sorted({key[2] for key in rps})
    backends = list(dict.fromkeys(key[0] for key in rps))
    run = results.new_run("flask bench run (made up)", {"cores_logical": 2}, {"workers": 2, "repeat": 1})
    run["settings"].update(data_size=sizes, sizes=sizes, concurrency=[concurrency], duration_s=10)
    run["backends"] = {b: {"framework": b, "status": "ok", "problems": []} for b in backends}
    run["results"] = results.with_x_raw(entries)
    run["rounds"] = [
        {
            "data_size": size,
            "posts": size,
            "users": size // 10,
            "comments": size * 3,
            "seeded": True,
            "seed_s": 1.0,
            "prepare_s": 2.0,
            "deep": {"requested_page": 5000, "page": min(5000, size // 20), "per_page": 20,
                     "after_row": min(5000, size // 20) * 20 - 21, "cursor": "bi4x", "first_id": 7},
            "search_terms": {"common": [{"band": "common", "query": "hold", "posts": size // 4,
                                         "fraction": 0.25, "in_band": True}]},
        }
        for size in sizes
    ]  # fmt: skip
    return run
