"""A tiny keep-alive HTTP client for the untimed requests: verification, SQL counting, logins.

It exists so those requests go through one plain, framework-free path
(``http.client``) that behaves the same against every backend. Members of the
page scenarios log in the way a browser does — the login form, its CSRF token
and the session cookie it sets (``login_sessions``) — so the measured pages
are the ones a logged-in member gets.
"""

from __future__ import annotations

import gzip
import html
import http.client
import json
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import NamedTuple
from urllib.parse import urlencode, urlsplit

from finboard.bench.scenarios import Request
from finboard.core.seeding import DEMO_PASSWORD

TIMEOUT_S = 30


SESSION_COOKIE = "session"  # Flask's default SESSION_COOKIE_NAME, which the forum keeps
LOGIN_PATH = "/auth/login"
_CSRF_INPUT = re.compile(r"<input[^>]*\bname=\"csrf_token\"[^>]*>")
_VALUE = re.compile(r"\bvalue=\"([^\"]*)\"")


class Session(NamedTuple):
    """A member logged in through the form: who, and the ``Cookie`` header value that carries the session."""

    username: str
    cookie: str


@dataclass
class Response:
    status: int
    content_type: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)  # lower-cased names; Set-Cookie values joined by "\n"

    def json(self):
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


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

    def send(self, request: Request, token: str | None = None, cookie: str | None = None) -> Response:
        """``request`` with its bearer ``token`` (``auth``) or session ``cookie`` (``session``) and its headers."""
        headers = {"Accept": "application/json, text/html"}
        if request.body is not None:
            headers["Content-Type"] = "application/json"
        if request.auth and token:
            headers["Authorization"] = f"Bearer {token}"
        if request.session and cookie:
            headers["Cookie"] = cookie
        headers.update(request.headers)
        return self.exchange(request.method, request.path, request.body, headers)

    def exchange(self, method: str, path: str, body: str | None, headers: dict[str, str]) -> Response:
        for attempt in (1, 2):  # one retry when a kept-alive connection was closed by the server
            conn = self._connection()
            try:
                conn.request(method, self.prefix + path, body=body, headers=headers)
                raw = conn.getresponse()
                names = {k.lower() for k in raw.headers}
                got = {name: "\n".join(raw.headers.get_all(name) or []) for name in names}
                body = raw.read()
                if got.get("content-encoding") == "gzip" and body:  # a page cache's stored gzip (Accept-Encoding)
                    body = gzip.decompress(body)
                return Response(raw.status, raw.getheader("Content-Type", ""), body, got)
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


def session_cookie(response: Response) -> str | None:
    """``session=<value>`` from the response's Set-Cookie headers, or None."""
    for line in response.headers.get("set-cookie", "").split("\n"):
        name, _, rest = line.partition("=")
        if name.strip() == SESSION_COOKIE:
            return f"{SESSION_COOKIE}={rest.split(';', 1)[0]}"
    return None


def form_login(base_url: str, username: str, password: str = DEMO_PASSWORD) -> Session:
    """Log ``username`` in through the forum's login form, as a browser does; RuntimeError saying why not.

    GET the form (its CSRF token, and the session cookie that token is bound to), POST it back
    with the cookie; the answer is a redirect that sets the logged-in session cookie. The redirect
    is followed once, as a browser does, so the "Logged in as …" flash it carries is shown and
    gone: a cookie replayed with it would render and re-set the flash on every measured page.
    """
    with Client(base_url) as client:
        form = client.exchange("GET", LOGIN_PATH, None, {"Accept": "text/html"})
        field = _CSRF_INPUT.search(form.text) if form.status == 200 else None
        value = _VALUE.search(field.group(0)) if field else None
        if value is None:
            raise RuntimeError(f"GET {LOGIN_PATH} answered {form.status} without a login form with a CSRF token")
        first = session_cookie(form)
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"}
        if first:
            headers["Cookie"] = first
        body = urlencode({"csrf_token": html.unescape(value.group(1)), "username": username, "password": password})
        answer = client.exchange("POST", LOGIN_PATH, body, headers)
        cookie = session_cookie(answer)
        if answer.status not in (302, 303) or cookie is None:
            why = f"answered {answer.status}: {answer.body[:200]!r}"
            raise RuntimeError(f"logging {username} in through {LOGIN_PATH} {why}")
        landing = urlsplit(answer.headers.get("location", "/"))
        shown = client.exchange("GET", landing.path or "/", None, {"Accept": "text/html", "Cookie": cookie})
        return Session(username, session_cookie(shown) or cookie)


def login_sessions(base_url: str, usernames: list[str], count: int, parallel: int = 4) -> list[Session]:
    """One forum session per connection: ``count`` form logins as seeded members (cycling through them)."""
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        return list(pool.map(lambda i: form_login(base_url, usernames[i % len(usernames)]), range(count)))
