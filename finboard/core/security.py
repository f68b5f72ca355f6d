"""Passwords and API tokens: one implementation every backend checks against.

Passwords are hashed with argon2id. API tokens are JWTs signed with HS256 by
``SECRET_KEY``; they carry the user id and ``token_version``, so a token from
one backend works on the others and a password change invalidates older ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

TOKEN_ALGORITHM = "HS256"  # noqa: S105
TOKEN_ISSUER = "finboard"  # noqa: S105
MAX_USER_ID = 2**31 - 1  # users.id is a 32-bit integer

_hasher = PasswordHasher()
# Verified against when the user does not exist, so an unknown username costs
# the same time as a wrong password (no user enumeration by timing).
_DUMMY_HASH = _hasher.hash("finboard-timing-equaliser")


def _jwt():
    """PyJWT, imported on first use: it loads ``cryptography`` (about 8 MB per
    worker) for algorithms FinBoard never uses, and a worker that only serves
    reads never needs a token."""
    import jwt

    return jwt


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; always spends one hash verification."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


class TokenError(Exception):
    """The token is missing, malformed, tampered with, expired or revoked."""


@dataclass(frozen=True)
class TokenClaims:
    user_id: int
    token_version: int


def create_access_token(secret: str, user_id: int, token_version: int, ttl_seconds: int) -> str:
    now = datetime.now(UTC)
    payload = {
        "sub": str(user_id),
        "ver": token_version,
        "iss": TOKEN_ISSUER,
        "iat": now,
        "exp": now + timedelta(seconds=ttl_seconds),
    }
    return _jwt().encode(payload, secret, algorithm=TOKEN_ALGORITHM)


def decode_access_token(secret: str, token: str) -> TokenClaims:
    """Validate signature, algorithm, issuer and expiry; raise TokenError otherwise."""
    jwt = _jwt()
    try:
        payload = jwt.decode(
            token,
            secret,
            algorithms=[TOKEN_ALGORITHM],
            issuer=TOKEN_ISSUER,
            options={"require": ["sub", "exp", "iat", "iss"]},
        )
        subject = str(payload["sub"])
        if not (subject.isascii() and subject.isdigit()) or not 0 < int(subject) <= MAX_USER_ID:
            raise TokenError("subject is not a user id")
        return TokenClaims(user_id=int(subject), token_version=int(payload.get("ver", 0)))
    except (jwt.PyJWTError, ValueError, TypeError) as exc:
        raise TokenError(str(exc)) from exc


def bearer_token(authorization_header: str | None) -> str | None:
    """The token from an ``Authorization: Bearer …`` header, or None."""
    if not authorization_header:
        return None
    scheme, _, token = authorization_header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()
