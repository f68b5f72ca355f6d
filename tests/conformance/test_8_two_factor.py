"""Two-factor login and notification preferences on the API of every backend.

``POST /api/v1/auth/login`` with ``code``:

The accounts are enrolled in the database directly (the enrolment is the forum's
settings page, tests/web/test_two_factor.py), with the same encryption and hashes
the backends read (finboard.core.totp). Each backend then answers: no code 401
``two_factor_required``; a wrong code 401 ``invalid_two_factor_code``; the current
code 200 once, then 401 (replay); a recovery code 200 once, then 401; an over-long
code 422 naming ``code``. A token got with a code works like any other.

``/api/v1/notifications/preferences`` (GET, PATCH): the same bytes from every backend.
"""

from __future__ import annotations

import json
import time

import psycopg
import pyotp

from finboard.core import totp
from tests.conformance.conftest import SECRET
from tests.conformance.contract import validate_response

P = "/api/v1"
LOGIN = "/api/v1/auth/login"
PASSWORD = "two-factor-pass-1"


def register(backend, username: str, role: str = "member") -> None:
    account = {"username": username, "email": f"{username}@example.com", "password": PASSWORD}
    assert backend.request("POST", f"{P}/auth/register", json=account).status_code == 201
    if role != "member":
        with psycopg.connect(backend.server_database_dsn, autocommit=True) as conn:
            conn.execute("UPDATE users SET role = %s WHERE username = %s", (role, username))


def enrol(backend, username: str, secret_key: str) -> tuple[str, list[str]]:
    """Turn two-factor login on for ``username`` in the backend's database."""
    secret, codes = totp.new_secret(), totp.new_recovery_codes()
    with psycopg.connect(backend.server_database_dsn, autocommit=True) as conn:
        user_id = conn.execute("SELECT id FROM users WHERE username = %s", (username,)).fetchone()[0]
        conn.execute(
            "INSERT INTO user_two_factor (user_id, secret_encrypted, created_at, enabled_at, last_used_step) "
            "VALUES (%s, %s, now(), now(), 0)",
            (user_id, totp.encrypt_secret(secret_key, secret)),
        )
        for code in codes:
            conn.execute(
                "INSERT INTO user_recovery_codes (user_id, code_hash, created_at) VALUES (%s, %s, now())",
                (user_id, totp.recovery_code_hash(code)),
            )
    return secret, codes


def _login(backend, username: str, code: str | None, expected: int, error: str | None = None):
    body = {"username": username, "password": PASSWORD, **({"code": code} if code is not None else {})}
    response = backend.request("POST", LOGIN, json=body)
    assert response.status_code == expected, (backend.name, code, response.status_code, response.text)
    validate_response("POST", LOGIN, expected, response.json())
    if error:
        assert response.json()["error"]["code"] == error, (backend.name, response.text)
    return response


def check_two_factor_login(backend, secret_key: str) -> None:
    """The answers above on one backend (two accounts: each stays under five logins a minute)."""
    register(backend, "totp_tom")
    secret, _ = enrol(backend, "totp_tom", secret_key)
    _login(backend, "totp_tom", None, 401, "two_factor_required")
    _login(backend, "totp_tom", "000000", 401, "invalid_two_factor_code")
    token = _login(backend, "totp_tom", pyotp.TOTP(secret).now(), 200).json()["access_token"]
    _login(backend, "totp_tom", pyotp.TOTP(secret).now(), 401, "invalid_two_factor_code")  # replayed
    mine = backend.request("GET", f"{P}/notifications", headers={"Authorization": f"Bearer {token}"})
    assert mine.status_code == 200, (backend.name, mine.text)

    register(backend, "totp_tia")
    _, recovery = enrol(backend, "totp_tia", secret_key)
    _login(backend, "totp_tia", recovery[0], 200)
    _login(backend, "totp_tia", recovery[0], 401, "invalid_two_factor_code")  # single use
    too_long = _login(backend, "totp_tia", "1" * 33, 422)
    assert "code" in too_long.json()["error"]["fields"], backend.name


def check_code_limits(backend, secret_key: str) -> None:
    """With TWO_FACTOR_LIMIT_PER_ACCOUNT=3/minute and TWO_FACTOR_LIMIT_PER_IP=5/minute: an account's
    fourth code in a minute is refused (429), even the right one; a second account's codes from the
    same address stop at the address's fifth (a refusal by the account does not count for the IP)."""
    register(backend, "limit_lou")
    secret, _ = enrol(backend, "limit_lou", secret_key)
    for _ in range(3):
        _login(backend, "limit_lou", "000000", 401, "invalid_two_factor_code")
    _login(backend, "limit_lou", pyotp.TOTP(secret).now(), 429, "rate_limited")  # per account
    register(backend, "limit_lia")
    secret, _ = enrol(backend, "limit_lia", secret_key)
    for _ in range(2):
        _login(backend, "limit_lia", "000000", 401, "invalid_two_factor_code")
    _login(backend, "limit_lia", pyotp.TOTP(secret).now(), 429, "rate_limited")  # per IP: 3 + 2 codes


def test_two_factor_login_everywhere(writable):
    for backend in writable.values():
        check_two_factor_login(backend, SECRET)


def check_staff_gate(backend, secret_key: str) -> None:
    """With REQUIRE_2FA_FOR_STAFF=1: a moderator without two-factor login gets 403
    ``two_factor_enrolment_required`` from the moderation API (after the body's 422), a
    member still ``forbidden``; once enrolled, the moderator moderates."""
    register(backend, "gate_mod", role="moderator")
    register(backend, "gate_member")
    tokens = {}
    for name in ("gate_mod", "gate_member"):
        login = backend.request("POST", LOGIN, json={"username": name, "password": PASSWORD})
        tokens[name] = {"Authorization": f"Bearer {login.json()['access_token']}"}
    queue = f"{P}/moderation/reports"
    gated = backend.request("GET", queue, headers=tokens["gate_mod"])
    assert gated.status_code == 403, (backend.name, gated.text)
    assert gated.json()["error"]["code"] == "two_factor_enrolment_required"
    hide = backend.request("POST", f"{P}/moderation/posts/1", json={"action": "hide"}, headers=tokens["gate_mod"])
    assert hide.status_code == 422, (backend.name, hide.text)  # the body is checked first
    hide = backend.request(
        "POST", f"{P}/moderation/posts/1", json={"action": "hide", "reason": "spam"}, headers=tokens["gate_mod"]
    )
    assert hide.json()["error"]["code"] == "two_factor_enrolment_required", backend.name
    member = backend.request("GET", queue, headers=tokens["gate_member"])
    assert member.status_code == 403 and member.json()["error"]["code"] == "forbidden", backend.name
    enrol(backend, "gate_mod", secret_key)
    assert backend.request("GET", queue, headers=tokens["gate_mod"]).status_code == 200, backend.name


PREFERENCES = f"{P}/notifications/preferences"


def preference_answers(backend) -> list[tuple[str, int, bytes]]:
    """``/notifications/preferences`` on one backend: defaults, a change, a partial change,
    bad kinds and deliveries, no token; (label, status, body) for comparing backends."""
    register(backend, "pref_pia")
    login = backend.request("POST", LOGIN, json={"username": "pref_pia", "password": PASSWORD})
    auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
    steps = [
        ("defaults", "GET", None, auth, 200),
        ("change", "PATCH", {"preferences": {"mention": "off", "reply": "weekly"}}, auth, 200),
        ("partial", "PATCH", {"preferences": {"reply": "in_app", "ticker": "daily"}}, auth, 200),
        ("after", "GET", None, auth, 200),
        ("bad-kind", "PATCH", {"preferences": {"likes": "off"}}, auth, 422),
        ("bad-delivery", "PATCH", {"preferences": {"mention": "sms"}}, auth, 422),
        ("missing-field", "PATCH", {}, auth, 422),
        ("no-token", "GET", None, {}, 401),
    ]
    answers = []
    for label, method, body, headers, status in steps:
        response = backend.request(method, PREFERENCES, json=body, headers=headers)
        assert response.status_code == status, (backend.name, label, response.status_code, response.text)
        validate_response(method, PREFERENCES, status, response.json())
        answers.append((label, response.status_code, response.content))
    expected = {
        "mention": "off",
        "reply": "in_app",
        "comment": "in_app",
        "new_post": "in_app",
        "ticker": "daily",
        "comment_reply": "in_app",
    }
    assert json.loads(answers[3][2]) == {"preferences": expected}, backend.name
    return answers


def test_notification_preferences_everywhere(writable):
    reference = None
    for name, backend in writable.items():
        answers = preference_answers(backend)
        reference = reference or (name, answers)
        assert answers == reference[1], (name, "differs from", reference[0])


def check_api_enrolment(backend) -> list[int]:
    """Turning two-factor login on and off through the API; the statuses, for comparing backends."""
    register(backend, "enrol_eve")
    login = backend.request("POST", LOGIN, json={"username": "enrol_eve", "password": PASSWORD})
    auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
    base = f"{P}/auth/two-factor"
    statuses = []

    def call(method: str, path: str, status: int, body=None, template: str | None = None):
        response = backend.request(method, path, json=body, headers=auth)
        assert response.status_code == status, (backend.name, path, response.status_code, response.text)
        validate_response(method, template or path, status, response.json())
        statuses.append(status)
        return response.json()

    assert call("GET", base, 200) == {"enabled": False, "recovery_codes_left": 0}
    call("POST", f"{base}/enable", 409, {"code": "123456"})  # no setup yet
    setup = call("POST", f"{base}/setup", 200)
    assert call("POST", f"{base}/setup", 200)["secret"] == setup["secret"]  # resumed, not replaced
    app = pyotp.parse_uri(setup["otpauth_uri"])
    assert app.secret == setup["secret"] and app.name == "enrol_eve"
    wrong = call("POST", f"{base}/enable", 422, {"code": "000000"})
    assert set(wrong["error"]["fields"]) == {"code"}
    codes = call("POST", f"{base}/enable", 200, {"code": app.at(time.time() - 30)})["recovery_codes"]
    assert len(set(codes)) == 10
    assert call("GET", base, 200) == {"enabled": True, "recovery_codes_left": 10}
    call("POST", f"{base}/setup", 409)  # the secret is never shown again
    _login(backend, "enrol_eve", None, 401, "two_factor_required")
    bad = call("POST", f"{base}/disable", 422, {"password": "not-the-password", "code": codes[0]})
    assert set(bad["error"]["fields"]) == {"password"}
    call("POST", f"{base}/disable", 200, {"password": PASSWORD, "code": codes[0]})
    assert call("GET", base, 200) == {"enabled": False, "recovery_codes_left": 0}
    call("POST", f"{base}/disable", 409, {"password": PASSWORD, "code": codes[1]})
    return statuses


def test_api_enrolment_everywhere(writable):
    answers = {name: check_api_enrolment(backend) for name, backend in writable.items()}
    assert len({tuple(statuses) for statuses in answers.values()}) == 1, answers
