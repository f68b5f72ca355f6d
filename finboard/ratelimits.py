"""Rate limits shared by the forum and the Flask API (Flask-Limiter strings)."""

from __future__ import annotations

from flask import request

LOGIN_LIMIT_PER_IP = "20 per minute"
LOGIN_LIMIT_PER_ACCOUNT = "5 per minute"
REGISTER_LIMIT_PER_IP = "10 per hour"


def login_account_key() -> str:
    """The account a login attempt targets, from the form or the JSON body."""
    name = request.form.get("username")
    if name is None and request.is_json:
        body = request.get_json(silent=True)
        name = body.get("username") if isinstance(body, dict) else None
    return f"login-account:{str(name or '').strip().lower()[:254]}"
