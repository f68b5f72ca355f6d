"""HTTP-level protections: security headers, cookie flags, trusted proxies.

- Flask-Talisman sends a Content-Security-Policy with no inline script (the
  templates have none), X-Content-Type-Options, X-Frame-Options and
  frame-ancestors, and a Referrer-Policy on every response.
- Session cookies are HttpOnly and SameSite=Lax always (config.py), and
  Secure whenever the request came over HTTPS — decided per request, so the
  same deployment works on plain loopback and behind TLS.
- Behind a proxy, X-Forwarded-For/-Proto/-Host are trusted only when
  TRUSTED_PROXIES says how many proxies sit in front (werkzeug's ProxyFix);
  otherwise a client could claim HTTPS or another IP (and dodge rate limits).
"""

from __future__ import annotations

import flask
from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface
from flask_talisman import Talisman
from werkzeug.middleware.proxy_fix import ProxyFix

from finboard.core.security_headers import (
    CONTENT_SECURITY_POLICY,
    FRAME_OPTIONS,
    PERMISSIONS_POLICY,
    REFERRER_POLICY,
)


class CachedTalisman(Talisman):
    """Flask-Talisman with its response headers computed once, not per response.

    Talisman re-derives every policy header on each response (about 30 µs);
    with no per-view options (FinBoard sets none) and no CSP nonce in the
    policy, they depend only on whether the request is HTTPS (Talisman's own
    HSTS test: ``request.is_secure`` or ``X-Forwarded-Proto: https``), so the
    headers Talisman produces are memoised per answer to that test.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._memo: dict[tuple[bool, bool], list[tuple[str, str]]] = {}

    def _set_response_headers(self, response):
        view = flask.current_app.view_functions.get(flask.request.endpoint or "")
        if getattr(view, "talisman_view_options", None) or self.content_security_policy_nonce_in:
            return super()._set_response_headers(response)
        secure = (flask.request.is_secure, flask.request.headers.get("X-Forwarded-Proto", "http") == "https")
        headers = self._memo.get(secure)
        if headers is None:
            probe = flask.Response()
            before = set(probe.headers.keys())
            super()._set_response_headers(probe)
            headers = self._memo[secure] = [(k, v) for k, v in probe.headers.items() if k not in before]
        for name, value in headers:
            response.headers[name] = value
        return response


talisman = CachedTalisman()


class HttpsAwareSessionInterface(SecureCookieSessionInterface):
    """Mark the session cookie Secure whenever the request itself is HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"] or request.is_secure)


def init_app(app: Flask) -> None:
    # From the settings (flask_config) unless a test's config says otherwise; gunicorn's
    # forwarded_allow_ips follows the same setting (Settings.forwarded_allow_ips).
    trusted = int(app.config.get("TRUSTED_PROXIES") or 0)
    if trusted > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=trusted, x_proto=trusted, x_host=trusted)
    app.session_interface = HttpsAwareSessionInterface()
    talisman.init_app(
        app,
        force_https=False,
        strict_transport_security=True,
        session_cookie_secure=False,
        session_cookie_http_only=True,
        frame_options=FRAME_OPTIONS,
        content_security_policy=CONTENT_SECURITY_POLICY,
        referrer_policy=REFERRER_POLICY,
        permissions_policy=PERMISSIONS_POLICY,
        x_content_type_options=True,
    )
