"""The security headers every backend sends, framework-free.

The forum (Flask-Talisman, ``finboard.web_security``) renders
``CONTENT_SECURITY_POLICY`` itself; the API backends that have no Talisman
(FastAPI, Django, raw) send ``API_SECURITY_HEADERS`` verbatim, which is what
Talisman sends on a plain-HTTP API response, so every backend answers with the
same set (the conformance suite compares them). HTTPS adds
Strict-Transport-Security, which the TLS-terminating proxy is expected to set
for the backends that cannot see the scheme.
"""

from __future__ import annotations

CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
PERMISSIONS_POLICY = {"browsing-topics": "()"}
REFERRER_POLICY = "strict-origin-when-cross-origin"
FRAME_OPTIONS = "DENY"


def _policy(directives: dict[str, str], *, between: str, joiner: str) -> str:
    return joiner.join(f"{name}{between}{value}" for name, value in directives.items())


API_SECURITY_HEADERS: dict[str, str] = {
    "X-Frame-Options": FRAME_OPTIONS,
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": _policy(CONTENT_SECURITY_POLICY, between=" ", joiner="; "),
    "Referrer-Policy": REFERRER_POLICY,
    "Permissions-Policy": _policy(PERMISSIONS_POLICY, between="=", joiner=", "),
}
# Every header name the conformance suite compares across backends (absent ones included).
COMPARED_SECURITY_HEADERS = (
    *API_SECURITY_HEADERS,
    "Strict-Transport-Security",
    "Cross-Origin-Opener-Policy",
    "Cross-Origin-Embedder-Policy",
    "Cross-Origin-Resource-Policy",
    "Document-Policy",
    "Feature-Policy",
    "X-XSS-Protection",
)
