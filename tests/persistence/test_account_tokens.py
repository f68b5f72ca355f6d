"""The mailed links: tamper-proof, of one purpose, expiring, single-use (finboard.core.account_tokens).

Pure: the account is a plain object, the clock is moved by hand (no database, no sleep).
"""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from finboard.core import account_tokens
from finboard.core.account_tokens import TokenInvalid, check, make_token, read_token

SECRET = "token-test-secret-0123456789abcdef"


@pytest.fixture
def clock(monkeypatch):
    now = [1_800_000_000.0]
    monkeypatch.setattr(account_tokens, "clock", lambda: now[0])
    return now


def account(**changes):
    base = dict(id=7, email="ann@example.com", password_hash="$argon2id$one", token_version=0, email_verified_at=None)
    return SimpleNamespace(**{**base, **changes})


def reason(secret, token, purpose, user) -> str:
    try:
        check(read_token(secret, token, purpose), user, purpose)
    except TokenInvalid as exc:
        return exc.reason
    return "ok"


@pytest.mark.parametrize("purpose", ["reset", "verify", "email"])
def test_a_link_expires_after_its_age(clock, purpose):
    user = account()
    token = make_token(SECRET, user, purpose, "new@example.com")
    clock[0] += account_tokens.MAX_AGE[purpose]
    assert reason(SECRET, token, purpose, user) == "ok"
    clock[0] += 1
    assert reason(SECRET, token, purpose, user) == "expired"


def test_tampering_another_secret_and_another_purpose_are_refused(clock):
    user = account()
    token = make_token(SECRET, user, "reset")
    payload, stamp, signature = token.split(".")
    forged = make_token(SECRET, account(id=8), "reset").split(".")[0]
    assert reason(SECRET, f"{forged}.{stamp}.{signature}", "reset", user) == "invalid"  # another user's payload
    assert reason(SECRET, token[:-2] + ("AA" if token[-2:] != "AA" else "BB"), "reset", user) == "invalid"
    assert reason("another-secret-0123456789abcdef", token, "reset", user) == "invalid"
    assert reason(SECRET, token, "verify", user) == "invalid"  # a reset link is not a verification link
    assert reason(SECRET, "", "reset", user) == "invalid" and reason(SECRET, "x" * 600, "reset", user) == "invalid"


def test_a_link_is_void_once_used_or_overtaken(clock):
    user = account()
    reset = make_token(SECRET, user, "reset")
    verify = make_token(SECRET, user, "verify")
    change = make_token(SECRET, user, "email", "new@example.com")
    assert {reason(SECRET, t, p, user) for t, p in ((reset, "reset"), (verify, "verify"), (change, "email"))} == {"ok"}
    # The reset is used: the password hash and the version change, so it and the change link are void.
    used = account(password_hash="$argon2id$two", token_version=1)
    assert reason(SECRET, reset, "reset", used) == "used"
    assert reason(SECRET, change, "email", used) == "used"
    assert reason(SECRET, verify, "verify", used) == "ok"  # verification is about the address, not the password
    # Verified: the verification link is used up; an address changed since voids it too.
    assert reason(SECRET, verify, "verify", account(email_verified_at=datetime.now(UTC))) == "used"
    assert reason(SECRET, verify, "verify", account(email="other@example.com")) == "used"
    assert reason(SECRET, reset, "reset", None) == "used"  # the account is gone


def test_the_new_address_is_signed_into_the_change_link(clock):
    token = make_token(SECRET, account(), "email", "new@example.com")
    assert read_token(SECRET, token, "email").new_email == "new@example.com"
