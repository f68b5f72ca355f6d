"""Shared bits for the benchmark tests: the recorded fixtures and a tiny local HTTP server."""

from __future__ import annotations

import json
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"
RECORDED_WRK = FIXTURES / "wrk-done.json"  # a real wrk done() document (18 detail ids + 2 missing posts)
RECORDED_RUN = FIXTURES / "quick-run.json"  # a real `flask bench run --quick --concurrency 8,32 --cache both`


def recorded_run() -> dict:
    return json.loads(RECORDED_RUN.read_text())


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like the real servers
    seen_tokens: set[str] = set()

    def _answer(self, status: int, body: bytes = b"ok", headers: dict | None = None) -> None:
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # noqa: N802 - http.server's naming
        if self.path == "/moved":
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
    """A keep-alive HTTP server on 127.0.0.1: 200 on GET, 302 on /moved, 201/401 on POST by bearer token."""
    _Handler.seen_tokens = set()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", _Handler
    finally:
        server.shutdown()
        server.server_close()
