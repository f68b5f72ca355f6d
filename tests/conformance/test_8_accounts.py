"""Account recovery and the address give the same answers on every backend that writes.

One scripted sequence — a password reset asked for a known and an unknown address (the
same answer), its link tampered with, used, replayed; the old bearer token refused; an
address verified and the link replayed; a sign-up with that address answered as a fresh
one, its link refused (409) and the address logging in its owner; a change of address
refused, taken, confirmed and replayed; the per-account limit — runs against each
backend's own copy of the database.
The links are the ones the mail job would send, signed here from the account's row with
the servers' ``SECRET_KEY`` (the mail itself: tests/web/test_account_mail.py,
tests/persistence/test_mail_jobs.py).
"""

from __future__ import annotations

from types import SimpleNamespace

import psycopg

from finboard.contract.accounts import ADDRESS_CONFIRMED_ELSEWHERE
from finboard.core.account_tokens import make_token
from finboard.core.security import decode_access_token
from tests.conformance.sequence import assert_logs_identical, recorder
from tests.conformance.test_2_writes import bearer, normalise

P = "/api/v1"
PASSWORD = "accounts-pass-1"
MEMBERS = ("acct_ann", "acct_bob", "acct_cat")


def _secret(backend) -> str:
    from tests.adapters.inprocess import SECRET as IN_PROCESS
    from tests.conformance.conftest import SECRET as LIVE

    return LIVE if hasattr(backend, "proxy") else IN_PROCESS


def mint(backend, username: str, purpose: str, new_email: str | None = None) -> str:
    """The link the mail job would send now: signed from the account's row as it is."""
    with psycopg.connect(backend.server_database_dsn, autocommit=True) as conn:
        row = conn.execute(
            "SELECT id, email, password_hash, token_version, email_verified_at FROM users WHERE username = %s",
            (username,),
        ).fetchone()
    user = SimpleNamespace(
        id=row[0], email=row[1], password_hash=row[2], token_version=row[3], email_verified_at=row[4]
    )
    return make_token(_secret(backend), user, purpose, new_email)


def _login(backend, name: str, password: str = PASSWORD) -> dict[str, str]:
    response = backend.request("POST", f"{P}/auth/login", json={"username": name, "password": password})
    assert response.status_code == 200, response.text
    return bearer(response.json()["access_token"])


def run_sequence(backend) -> list[tuple[str, int, bytes, object]]:
    log: list = []
    for name in MEMBERS:
        body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
        assert backend.request("POST", f"{P}/auth/register", json=body).status_code == 201
    ann, bob, cat = (_login(backend, name) for name in MEMBERS)
    step = recorder(backend, log, lambda content: content)

    # A password reset: the same answer for any address; a link used once; every token ends.
    ask, confirm = f"{P}/auth/password-reset", f"{P}/auth/password-reset/confirm"
    step("reset-known", "POST", ask, ask, 202, json={"email": "ACCT_ANN@example.com"})
    step("reset-unknown", "POST", ask, ask, 202, json={"email": "nobody@example.com"})
    step("reset-bad-address", "POST", ask, ask, 422, json={"email": "not an address"})
    token = mint(backend, "acct_ann", "reset")
    step(
        "reset-tampered", "POST", confirm, confirm, 422, json={"token": token[:-3] + "abc", "password": "new-pass-123"}
    )
    step("reset-other-purpose", "POST", confirm, confirm, 422,
         json={"token": mint(backend, "acct_ann", "verify"), "password": "new-pass-123"})  # fmt: skip
    step("reset-short", "POST", confirm, confirm, 422, json={"token": token, "password": "short"})
    step("reset", "POST", confirm, confirm, 204, json={"token": token, "password": "new-pass-123"})
    step("reset-replay", "POST", confirm, confirm, 422, json={"token": token, "password": "other-pass-123"})
    step("old-token-refused", "GET", f"{P}/notifications", f"{P}/notifications", 401, headers=ann)
    _login(backend, "acct_ann", "new-pass-123")

    # Verification: the link once; resending needs a token.
    verify, resend = f"{P}/auth/email/verify", f"{P}/users/me/email/verification"
    token = mint(backend, "acct_bob", "verify")
    step("resend-anonymous", "POST", resend, resend, 401)
    step("resend", "POST", resend, resend, 202, headers=bob)
    step("verify", "POST", verify, verify, 204, json={"token": token})
    step("verify-replay", "POST", verify, verify, 422, json={"token": token})

    # Sign-up with the address acct_bob confirmed: the same answer as a fresh one (ids alike,
    # times and tokens normalised). The job tells acct_bob instead of linking acct_dan, whose
    # link (signed here) cannot confirm it; the address still logs in its owner.
    alike = recorder(backend, log, normalise)
    register, login = f"{P}/auth/register", f"{P}/auth/login"
    alike("register-fresh", "POST", register, register, 201,
          json={"username": "acct_eve", "email": "acct_eve@example.com", "password": PASSWORD})  # fmt: skip
    alike("register-taken", "POST", register, register, 201,
          json={"username": "acct_dan", "email": "ACCT_BOB@example.com", "password": PASSWORD})  # fmt: skip
    step("resend-taken", "POST", resend, resend, 202, headers=_login(backend, "acct_dan"))
    step("verify-taken", "POST", verify, verify, 409, json={"token": mint(backend, "acct_dan", "verify")})
    alike("login-owner-by-email", "POST", login, login, 200,
          json={"username": "acct_bob@example.com", "password": PASSWORD})  # fmt: skip

    # A change of address: the password; a taken address answers the same; confirmed once.
    change, email_confirm = f"{P}/users/me/email", f"{P}/auth/email/confirm"
    step("change-anonymous", "POST", change, change, 401, json={"email": "x@example.com", "password": PASSWORD})
    step("change-wrong-password", "POST", change, change, 422,
         json={"email": "cat.new@example.com", "password": "not-my-password"}, headers=cat)  # fmt: skip
    step("change-taken", "POST", change, change, 202,
         json={"email": "acct_bob@example.com", "password": PASSWORD}, headers=cat)  # fmt: skip
    step(
        "change", "POST", change, change, 202, json={"email": "cat.new@example.com", "password": PASSWORD}, headers=cat
    )
    token = mint(backend, "acct_cat", "email", "cat.new@example.com")
    step("change-confirm", "POST", email_confirm, email_confirm, 204, json={"token": token})
    step("change-confirm-replay", "POST", email_confirm, email_confirm, 422, json={"token": token})
    # acct_cat's sixth account-mail request this hour: the account's limit (5/hour), whatever the spelling.
    step("reset-over-account-limit", "POST", ask, ask, 429, json={"email": "Cat.New@example.com"})
    step("reset-other-account", "POST", ask, ask, 202, json={"email": "acct_bob@example.com"})
    return log


def test_account_sequence_is_identical_everywhere(writable):
    logs = {name: run_sequence(backend) for name, backend in writable.items()}
    assert_logs_identical(logs)
    for name, backend in writable.items():
        check_data(name, backend, {label: r.json() if r.content else None for label, _, _, r in logs[name]})


def check_data(name: str, backend, r: dict) -> None:
    """The sequence's answers and rows are right, not only the same."""
    assert r["reset-known"] == r["reset-unknown"] == r["resend"], name
    assert r["reset-tampered"]["error"]["fields"] == {"token": "This link is not valid. Ask for a new one."}, name
    assert r["reset-replay"]["error"]["code"] == "invalid_token", name
    assert r["change-wrong-password"]["error"]["fields"] == {"password": "That is not your current password."}
    assert sorted(r["register-taken"]) == sorted(r["register-fresh"]) and r["register-taken"]["username"] == "acct_dan"
    assert r["resend-taken"] == r["resend"], name
    assert r["verify-taken"]["error"]["fields"] == {"email": ADDRESS_CONFIRMED_ELSEWHERE}, name
    owner = decode_access_token(_secret(backend), r["login-owner-by-email"]["access_token"]).user_id
    with psycopg.connect(backend.server_database_dsn, autocommit=True) as conn:
        rows = dict(
            (row[0], row[1:])
            for row in conn.execute(
                "SELECT username, email, email_verified_at IS NOT NULL, token_version FROM users "
                "WHERE username LIKE 'acct_%'"
            )
        )
        bob = conn.execute("SELECT id FROM users WHERE username = 'acct_bob'").fetchone()[0]
    assert rows == {
        "acct_ann": ("acct_ann@example.com", False, 1),
        "acct_bob": ("acct_bob@example.com", True, 0),
        "acct_cat": ("cat.new@example.com", True, 0),
        "acct_dan": ("acct_bob@example.com", False, 0),  # signed up, unconfirmed: the address is bob's
        "acct_eve": ("acct_eve@example.com", False, 0),
    }, name
    assert owner == bob, name
