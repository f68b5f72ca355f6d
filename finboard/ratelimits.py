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


def email_account_key(email: object) -> str | None:
    """The per-account bucket of an address: its user, else the address itself."""
    from finboard.extensions import db

    login = str(email or "")
    user_id = db.session.scalar(user_id_by_login_statement(login)) if resolvable(login) else None
    return account_key(user_id, login)


def check_account_mail(account: str | None, *, api: bool) -> None:
    """Count one use of an account-mail form or link (reset, verification, change of address);
    429 when the account (``account_key``) or this IP is over its limit."""
    if not limiter().allow_account_mail(request.remote_addr or "", account):
        _refuse(api)
