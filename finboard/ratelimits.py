"""Rate limits shared by the forum and the Flask API (Flask-Limiter).

The limit strings come from the shared settings so every backend enforces
the same numbers.
"""

from __future__ import annotations

from flask import current_app, request

from finboard.core.api_contract import login_name as api_login_name


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
        name = api_login_name(request.get_data(cache=True))
    else:
        name = request.form.get("username")
    return f"login-account:{str(name or '').strip().lower()[:254]}"
