"""A tiny keep-alive HTTP client for the untimed requests: verification, SQL counting, logins.

It exists so those requests go through one plain, framework-free path
(``http.client``) that behaves the same against every backend.
"""

from __future__ import annotations

import http.client
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urlsplit

from finboard.bench.scenarios import Request
from finboard.core.seeding import DEMO_PASSWORD

TIMEOUT_S = 30


@dataclass
class Response:
    status: int
    content_type: str
    body: bytes

    def json(self):
        return json.loads(self.body)


class Client:
    def __init__(self, base_url: str, timeout: float = TIMEOUT_S):
        parts = urlsplit(base_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.https = parts.scheme == "https"
        self.prefix = parts.path.rstrip("/")
        self.timeout = timeout
        self._conn: http.client.HTTPConnection | None = None

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            cls = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
            self._conn = cls(self.host, self.port, timeout=self.timeout)
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def send(self, request: Request, token: str | None = None) -> Response:
        headers = {"Accept": "application/json, text/html"}
        if request.body is not None:
            headers["Content-Type"] = "application/json"
        if request.auth and token:
            headers["Authorization"] = f"Bearer {token}"
        for attempt in (1, 2):  # one retry when a kept-alive connection was closed by the server
            conn = self._connection()
            try:
                conn.request(request.method, self.prefix + request.path, body=request.body, headers=headers)
                raw = conn.getresponse()
                return Response(raw.status, raw.getheader("Content-Type", ""), raw.read())
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


def login_tokens(base_url: str, usernames: list[str], count: int, parallel: int = 4) -> list[str]:
    """One bearer token per connection: ``count`` logins as seeded users (cycling through them)."""

    def one(index: int) -> str:
        user = usernames[index % len(usernames)]
        body = json.dumps({"username": user, "password": DEMO_PASSWORD})
        with Client(base_url) as client:
            response = client.send(Request("POST", "/api/v1/auth/login", "/api/v1/auth/login", 200, body))
        if response.status != 200:
            raise RuntimeError(f"login as {user} answered {response.status}: {response.body[:200]!r}")
        return response.json()["access_token"]

    with ThreadPoolExecutor(max_workers=parallel) as pool:
        return list(pool.map(one, range(count)))
