"""HTTP-level promises: headers, cookie flags, trusted proxies, body limits, login timing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from finboard.core import security
from finboard.core.models import Post
from finboard.web_security import CONTENT_SECURITY_POLICY
from tests.conftest import TEST_PASSWORD

TEMPLATES = Path(__file__).resolve().parents[2] / "finboard" / "templates"
PAGES = ["/", "/c/stocks", "/search?q=x", "/auth/login", "/auth/register", "/posts/999", "/api/v1/posts"]


@pytest.mark.parametrize("path", PAGES)
def test_security_headers_on_every_response(client, path):
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_templates_have_no_inline_script_or_style():
    """The CSP forbids inline code, so no template may rely on it.

    Mail (templates/mail/) is never served under the CSP, and mail clients read only inline
    styles: it may have them, but no script or event handler either."""
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY["script-src"]
    for template in TEMPLATES.rglob("*.html"):
        html = template.read_text()
        is_mail = template.relative_to(TEMPLATES).parts[0] == "mail"
        assert not re.search(r"<script" if is_mail else r"<script(?![^>]*\bsrc=)", html), template
        assert not re.search(r"\son[a-z]+\s*=", html), template
        if not is_mail:
            assert not re.search(r"\sstyle\s*=", html), template


def _session_cookie(response) -> str:
    cookies = [v for k, v in response.headers.items() if k == "Set-Cookie" and v.startswith("session=")]
    assert cookies, response.headers
    return cookies[0]


def test_session_cookie_is_httponly_lax_and_not_secure_over_http(client):
    cookie = _session_cookie(client.get("/auth/login"))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_session_cookie_is_secure_over_https(client):
    cookie = _session_cookie(client.get("/auth/login", base_url="https://localhost"))
    assert "Secure" in cookie and "HttpOnly" in cookie


def test_forwarded_proto_is_ignored_unless_proxies_are_trusted(client):
    cookie = _session_cookie(client.get("/auth/login", headers={"X-Forwarded-Proto": "https"}))
    assert "Secure" not in cookie  # a client cannot claim HTTPS on its own


def test_forwarded_proto_is_honoured_behind_a_trusted_proxy(app):
    from finboard.app import create_app

    trusting = create_app({**app.config, "TRUSTED_PROXIES": 1})
    response = trusting.test_client().get("/auth/login", headers={"X-Forwarded-Proto": "https"})
    assert "Secure" in _session_cookie(response)


def test_oversized_form_body_is_refused_and_nothing_stored(client, make, auth):
    make.user("alice")
    auth.login()
    response = client.post(
        "/posts/new",
        data={"title": "Huge", "body": "x" * 300_000, "category": "stocks", "csrf_token": auth.csrf("/posts/new")},
    )
    assert response.status_code == 413
    assert "Too large" in response.get_data(as_text=True)
    assert make.count(Post) == 0


def test_oversized_api_body_gets_the_error_shape(client):
    response = client.post("/api/v1/auth/register", data=b"{" + b" " * 300_000 + b"}", content_type="application/json")
    assert response.status_code == 413
    assert response.json["error"]["code"] == "payload_too_large"


def test_unknown_user_and_wrong_password_look_the_same(client, make, auth, monkeypatch):
    """Same message, and the same work: one password-hash verification either way."""
    make.user("alice")
    verifications = []
    real_hasher = security._hasher

    class CountingHasher:
        def verify(self, password_hash, password):
            verifications.append(password_hash)
            return real_hasher.verify(password_hash, password)

    monkeypatch.setattr(security, "_hasher", CountingHasher())

    wrong = auth.login("alice", "not-the-password")
    unknown = auth.login("nobody_at_all", "not-the-password")
    assert wrong.status_code == unknown.status_code == 422
    message = "Unknown username or wrong password."
    assert message in wrong.get_data(as_text=True) and message in unknown.get_data(as_text=True)
    assert len(verifications) == 2  # the unknown user cost a hash too

    api_wrong = client.post("/api/v1/auth/login", json={"username": "alice", "password": "nope-nope"})
    api_unknown = client.post("/api/v1/auth/login", json={"username": "ghost", "password": "nope-nope"})
    assert api_wrong.status_code == api_unknown.status_code == 401
    assert api_wrong.data == api_unknown.data
    assert len(verifications) == 4
    assert auth.login("alice", TEST_PASSWORD).status_code == 302


SECURITY_HEADERS = (
    "Content-Security-Policy",
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Strict-Transport-Security",
    "Permissions-Policy",
    "Document-Policy",
    "Feature-Policy",
)


@pytest.mark.parametrize("path", ["/", "/api/v1/posts", "/api/v1/posts/99999", "/nope"])
@pytest.mark.parametrize(
    "request_options",
    [{}, {"base_url": "https://localhost"}, {"headers": {"X-Forwarded-Proto": "https"}}],
    ids=["http", "https", "forwarded-https"],
)
def test_memoised_security_headers_equal_talismans_own(app, path, request_options):
    """CachedTalisman sends exactly the headers Flask-Talisman computes for each response."""
    from flask_talisman import Talisman

    from finboard.web_security import talisman

    stock = Talisman.__new__(Talisman)
    stock.__dict__.update({k: v for k, v in talisman.__dict__.items() if k != "_memo"})
    client = app.test_client()
    for _ in range(2):  # the second answer comes from the memo
        response = client.get(path, **request_options)
        with app.test_request_context(path, **request_options):
            expected = Talisman._set_response_headers(stock, app.response_class())
        sent = {name: response.headers.get(name) for name in SECURITY_HEADERS}
        assert sent == {name: expected.headers.get(name) for name in SECURITY_HEADERS}
        assert sent["Content-Security-Policy"] and sent["X-Frame-Options"] == "DENY"
    assert ("Strict-Transport-Security" in response.headers) == bool(request_options)


def test_reads_skip_the_rate_limiter_but_logins_do_not(app, client, monkeypatch):
    from finboard.core.ratelimit import AuthRateLimiter

    checked = []
    original = AuthRateLimiter._hit
    monkeypatch.setattr(AuthRateLimiter, "_hit", lambda self, *a: checked.append(a[1:]) or original(self, *a))
    assert client.get("/api/v1/posts").status_code == 200
    assert client.get("/api/v1/categories").status_code == 200
    assert checked == []
    client.post("/api/v1/auth/login", json={"username": "nobody", "password": "wrong-password"})
    assert checked == [("login-account", "name:nobody"), ("login-ip", "127.0.0.1")]
