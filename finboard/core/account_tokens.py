"""The links mailed to members: signed, expiring, single-use, one per purpose.

A token is an itsdangerous ``URLSafeTimedSerializer`` payload signed with ``SECRET_KEY``
and a salt of its purpose (so a verification link is never a reset link), holding the
user id and a *fingerprint* of the state the link changes:

- ``reset``: the password hash and ``token_version`` — a reset (or any other password
  change) changes both, so the link works once, and every reset link mailed before a
  password change is void;
- ``verify``: the address and whether it is verified — following the link verifies it,
  which voids the link; an address changed since voids it too;
- ``email``: the current address and ``token_version`` — the change voids it, and so
  does a password change.

No table of used tokens is needed: the fingerprint is the single-use guard, and the
signature's timestamp the expiry. Every backend reads the same token (the user is
duck-typed: SQLAlchemy's ``User`` and Django's alike).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from finboard.contract.accounts import TOKEN_MAX

Purpose = Literal["reset", "verify", "email"]

# Seconds a link stays valid.
MAX_AGE: dict[str, int] = {"reset": 3600, "verify": 3 * 86400, "email": 86400}

# The clock the signatures are stamped and checked with; tests move it.
clock = time.time


class Account(Protocol):
    id: int
    email: str
    password_hash: str
    token_version: int
    email_verified_at: Any


class TokenInvalid(Exception):
    """The link is tampered with, of another purpose, expired, already used or void."""

    def __init__(self, reason: Literal["invalid", "expired", "used"]):
        super().__init__(reason)
        self.reason = reason


class ClockSigner(TimestampSigner):
    """Stamps and checks with :data:`clock` (the unsubscribe links use it too)."""

    def get_timestamp(self) -> int:
        return int(clock())


def _serializer(secret: str, purpose: Purpose) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=f"finboard.account.{purpose}", signer=ClockSigner)


def fingerprint(user: Account, purpose: Purpose) -> str:
    """A digest of the account state that ``purpose``'s link changes (see the module docstring)."""
    if purpose == "reset":
        state = f"{user.password_hash}|{user.token_version}"
    elif purpose == "verify":
        state = f"{user.email.lower()}|{1 if user.email_verified_at else 0}"
    else:
        state = f"{user.email.lower()}|{user.token_version}"
    return hashlib.sha256(f"{purpose}|{state}".encode()).hexdigest()[:24]


def make_token(secret: str, user: Account, purpose: Purpose, new_email: str | None = None) -> str:
    payload: dict[str, Any] = {"u": user.id, "f": fingerprint(user, purpose)}
    if purpose == "email":
        payload["e"] = new_email
    return _serializer(secret, purpose).dumps(payload)


@dataclass(frozen=True)
class TokenClaim:
    user_id: int
    fingerprint: str
    new_email: str | None


def read_token(secret: str, token: str, purpose: Purpose) -> TokenClaim:
    """The signed claim of a token still within its age; the caller loads the user and calls :func:`check`."""
    if not isinstance(token, str) or not 0 < len(token) <= TOKEN_MAX:
        raise TokenInvalid("invalid")
    try:
        payload = _serializer(secret, purpose).loads(token, max_age=MAX_AGE[purpose])
    except SignatureExpired:
        raise TokenInvalid("expired") from None
    except BadSignature:
        raise TokenInvalid("invalid") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("u"), int) or not isinstance(payload.get("f"), str):
        raise TokenInvalid("invalid")
    new_email = payload.get("e") if purpose == "email" else None
    if purpose == "email" and not isinstance(new_email, str):
        raise TokenInvalid("invalid")
    return TokenClaim(payload["u"], payload["f"], new_email)


def check(claim: TokenClaim, user: Account | None, purpose: Purpose) -> Account:
    """The claim's user, if the link is still unused: its fingerprint matches the account as it is now."""
    if user is None or fingerprint(user, purpose) != claim.fingerprint:
        raise TokenInvalid("used")
    return user
