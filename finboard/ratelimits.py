"""The Flask side of finboard.core.ratelimit: one limiter per app, for the forum and the API.

The login form and ``POST /api/v1/auth/login`` count into the same account and
IP buckets as FastAPI and Django (the same keys in the same Redis), so neither
the spelling of the name nor the endpoint buys more guesses.

``RATELIMIT_STORAGE_URI`` (default: ``REDIS_URL``, else ``memory://``) and
``RATELIMIT_STORAGE_OPTIONS["key_prefix"]`` in the app config choose the storage.
"""

from __future__ import annotations

from flask import Flask, abort, current_app, request

from finboard.contract.errors import http_error
from finboard.core.ratelimit import (
    DEFAULT_KEY_PREFIX,
    AuthRateLimiter,
    account_key,
    resolvable,
    user_id_by_login_statement,
)

EXTENSION = "finboard_limiter"



def init_app(app: Flask) -> None:
    options = app.config.get("RATELIMIT_STORAGE_OPTIONS") or {}
    app.extensions[EXTENSION] = AuthRateLimiter(
        app.config["FINBOARD_SETTINGS"],
        storage_uri=app.config.get("RATELIMIT_STORAGE_URI") or "memory://",
        key_prefix=options.get("key_prefix", DEFAULT_KEY_PREFIX),
    )


def limiter() -> AuthRateLimiter:
    return current_app.extensions[EXTENSION]


def _refuse(api: bool):
    if api:
        raise http_error(429)
    abort(429)


def check_login(login: str, *, api: bool) -> None:
    """Count one login attempt on ``login``; 429 when its account or this IP is over the limit."""
    from finboard.extensions import db

    user_id = None
    if resolvable(login):
        user_id = db.session.scalar(user_id_by_login_statement(login))
    if not limiter().allow_login(request.remote_addr or "", account_key(user_id, login)):
        _refuse(api)


def check_register(*, api: bool) -> None:
    if not limiter().allow_register(request.remote_addr or ""):
        _refuse(api)
