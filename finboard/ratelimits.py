"""Rate limits shared by the forum and the Flask API (Flask-Limiter).

The limit strings come from the shared settings so every backend enforces
the same numbers.
"""

from __future__ import annotations

import json

from flask import current_app, request


def _settings():
    return current_app.config["FINBOARD_SETTINGS"]


def login_limit_per_ip() -> str:
    return _settings().login_limit_per_ip


def login_limit_per_account() -> str:
    return _settings().login_limit_per_account


def register_limit_per_ip() -> str:
    return _settings().register_limit_per_ip


def login_account_key() -> str:
    """The account a login attempt targets, from the form or the JSON body."""
    if request.path.startswith("/api/"):
        # Read the raw body (cached for the view), never request.form, which
        # would consume the stream before the API parses it as JSON.
        try:
            body = json.loads(request.get_data(cache=True) or b"null")
        except (ValueError, UnicodeDecodeError):
            body = None
        name = body.get("username") if isinstance(body, dict) else None
    else:
        name = request.form.get("username")
    return f"login-account:{str(name or '').strip().lower()[:254]}"
